// Whether the pipeline is healthy, and if not, why: one line per problem, each naming the part
// and what to look at. `outflow status` exits 1 when there is any, so it can gate a deploy.
import { slotWarning } from '../connectors/replicationSlot.ts';
import type { PipelineStatus, SourceHealth } from './pipelineStatus.ts';

export interface VerdictOptions {
  /** A projection further behind than this many messages is a problem. */
  maxLag: number;
}

export function statusProblems(status: PipelineStatus, { maxLag }: VerdictOptions): string[] {
  const problems: string[] = status.unreachable.map((u) => `${u.part} unreachable: ${u.error}`);
  for (const source of status.sources) problems.push(...sourceProblems(source, status.unreachable));
  for (const p of status.projections) {
    for (const error of p.errors) problems.push(`${p.projection}: ${error}`);
    if (p.live === null) {
      if (!status.unreachable.some((u) => u.part === 'read postgres')) problems.push(`${p.projection} has no live generation: start a worker (\`outflow projector run\`)`);
      continue;
    }
    if (p.groupState !== null && p.workers.length === 0) problems.push(`${p.projection}: no worker is consuming generation ${p.live} (consumer group ${p.groupState})`);
    if (p.unassigned.length) problems.push(`${p.projection}: ${p.unassigned.length} partition(s) held by no worker: ${p.unassigned.slice(0, 6).join(', ')}${p.unassigned.length > 6 ? ', …' : ''}`);
    if (p.lag !== null && p.lag > maxLag) problems.push(`${p.projection} is ${p.lag} messages behind (more than --max-lag ${maxLag})`);
    if (p.parkedKeys) problems.push(`${p.projection} has ${p.parkedKeys} parked key(s): \`outflow dlq list ${p.projection}\``);
  }
  return problems;
}

/** A source's connector and slot problems; a slot whose database did not answer is unknown, not missing. */
function sourceProblems({ source, outboxTable, connector, slot, slotName, databasePart }: SourceHealth, unreachable: PipelineStatus['unreachable']): string[] {
  const problems: string[] = [];
  if (connector) {
    if (connector.state === null) problems.push(`connector ${connector.name} does not exist: run \`outflow connectors apply ${source}\``);
    else if (connector.state !== 'RUNNING') problems.push(`connector ${connector.name} is ${connector.state}`);
    // A connector that is not running says it all; its tasks follow it.
    else if (connector.tasks.length === 0) problems.push(`connector ${connector.name} has no task`);
    else {
      for (const task of connector.tasks.filter((t) => t.state !== 'RUNNING')) {
        problems.push(`connector ${connector.name} task ${task.id} is ${task.state}${task.state === 'FAILED' ? `: \`outflow connectors status ${source}\` shows its trace, \`outflow connectors restart ${source}\` restarts it` : ''}`);
      }
    }
  }
  if (!unreachable.some((u) => u.part === databasePart)) {
    if (!slot) problems.push(`replication slot ${slotName} (${source}) does not exist`);
    else {
      const warning = slotWarning(slot, { name: source, outboxTable });
      if (warning) problems.push(`replication slot ${slotName} (${source}) is ${warning.walStatus}: ${warning.fix}`);
    }
  }
  return problems;
}
