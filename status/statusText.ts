// The one screen of `outflow status`: each source's connector and its slot, the topics, each projection,
// rebuilds in progress, and the problems (or "healthy").
import { describeSlot } from '../connectors/replicationSlot.ts';
import { formatTable } from '../lib/table.ts';
import type { PipelineStatus, ProjectionHealth } from './pipelineStatus.ts';

const ms = (value: number | null) => (value === null ? '>300 s' : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
const orDash = (value: number | null | undefined, render: (n: number) => string = String) => (value === null || value === undefined ? '-' : render(value));

function workersCell(p: ProjectionHealth): string {
  if (p.groupState === null) return '?';
  const partitions = p.workers.reduce((sum, w) => sum + w.partitions.length, 0);
  return `${p.workers.length} (${partitions} partitions)`;
}

export function statusText(status: PipelineStatus, problems: readonly string[]): string {
  const lines: string[] = [`outflow status at ${status.checkedAt}: ${problems.length ? `${problems.length} problem(s)` : 'healthy'}`, ''];

  for (const source of status.sources) {
    const c = source.connector;
    if (!c) lines.push(`${source.source}: connector unknown (Kafka Connect unreachable)`);
    else if (c.state === null) lines.push(`${source.source}: connector ${c.name} not created`);
    else lines.push(`${source.source}: connector ${c.name} ${c.state} (${c.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ') || 'no tasks'})`);
    if (source.slot) lines.push(`  ${describeSlot(source.slot).replaceAll('\n', '\n  ')}`);
    else if (!status.unreachable.some((u) => u.part === source.databasePart)) lines.push(`  replication slot ${source.slotName}: none`);
  }
  lines.push('');

  if (status.topics.length) {
    lines.push(formatTable(['topic', 'partitions', 'messages', 'end offsets'], status.topics.map((t) => [t.topic, String(t.partitions.length), String(t.messages), t.partitions.map((p) => p.high).join(' ')])), '');
  }

  lines.push(
    formatTable(
      ['projection', 'live', 'lag', 'events/s', 'workers', 'parked', 'freshness p50 / p99', 'building'],
      status.projections.map((p) => [
        p.projection,
        orDash(p.live),
        orDash(p.lag),
        orDash(p.eventsPerSecond),
        workersCell(p),
        orDash(p.parkedKeys),
        p.freshness ? `${ms(p.freshness.p50)} / ${ms(p.freshness.p99)} (${p.freshness.events} events)` : '-',
        orDash(p.building),
      ]),
    ),
  );
  const lagging = status.projections.flatMap((p) => p.partitions.filter((l) => l.lag > 0).map((l) => [p.projection, `${l.topic}/${l.partition}`, orDash(l.applied), String(l.lag)]));
  if (lagging.length) lines.push('', formatTable(['projection', 'partition', 'applied', 'lag'], lagging));
  const workers = status.projections.flatMap((p) => p.workers.map((w) => [p.projection, w.clientId, w.host, compactPartitions(w.partitions)]));
  if (workers.length) lines.push('', formatTable(['projection', 'worker', 'host', 'partitions'], workers));

  if (status.rebuilds.length) {
    lines.push(
      '',
      formatTable(
        ['rebuilding', 'generation', 'started', 'progress'],
        status.rebuilds.map((r) => [r.projection, String(r.generation), r.startedAt ?? '-', r.done === null || r.total === null ? '?' : `${r.done} / ${r.total} (${r.total ? Math.floor((100 * r.done) / r.total) : 100}%)`]),
      ),
    );
  }
  if (problems.length) lines.push('', 'problems:', ...problems.map((p) => `  - ${p}`));
  return lines.join('\n');
}

/** `events.order/0, events.order/1, events.order/2` → `events.order 0-2`. */
export function compactPartitions(partitions: readonly string[]): string {
  const byTopic = new Map<string, number[]>();
  for (const key of partitions) {
    const cut = key.lastIndexOf('/');
    const list = byTopic.get(key.slice(0, cut)) ?? byTopic.set(key.slice(0, cut), []).get(key.slice(0, cut))!;
    list.push(Number(key.slice(cut + 1)));
  }
  return [...byTopic]
    .map(([topic, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      const runs: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
        runs.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
      }
      return `${topic} ${runs.join(',')}`;
    })
    .join('; ');
}
