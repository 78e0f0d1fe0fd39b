// The capacity plan as Markdown: what `outflow bench capacity` prints and what docs/capacity.md
// holds between its markers. Pure text from the plan.
import { ASSUMPTION_REASONS, type CapacityAssumptions } from './capacityAssumptions.ts';
import type { MeasuredInput } from './capacityInputs.ts';
import type { CapacityPlan } from './capacityModel.ts';

export function renderCapacityPlan(plan: CapacityPlan): string {
  const { target, inputs } = plan;
  const lines: string[] = [
    `### Plan for ${count(target.writesPerSecond)} writes/s and ${count(target.readsPerSecond)} reads/s`,
    '',
    table(['component', 'count', 'formula', 'measured inputs'], plan.lines.map((l) => [l.component, `${count(l.count)} ${l.count === 1 ? l.unit.replace(/s$/, '') : l.unit}`, l.note ? `${l.formula}. _${l.note}_` : l.formula, l.inputs.join('; ') || 'assumptions only'])),
    '',
    '### Kafka topics',
    '',
    table(['topic', 'events/s', 'partitions', 'read by'], plan.topics.map((t) => [t.topic, count(Math.round(t.eventsPerSecond)), count(t.partitions), t.consumers.join(', ') || '—'])),
    '',
    `### Measured inputs (from \`${inputs.resultsDir}\`)`,
    '',
    table(['input', 'value', 'scenario / measurement', 'measured', 'machine', 'how it was read'], measuredInputs(plan).map(([name, input]) => [
      name,
      `${count(input.value)} ${input.unit}`,
      `\`${input.scenario}\` / \`${input.measurementId}\``,
      input.startedAt.slice(0, 16).replace('T', ' ') + ' UTC',
      `${input.machineCores} cores`,
      input.kind === 'floor' ? `${input.derivation} **(floor)**` : input.derivation,
    ])),
    '',
    '### Assumptions',
    '',
    table(['assumption', 'value', 'why'], (Object.keys(ASSUMPTION_REASONS) as (keyof CapacityAssumptions)[]).map((key) => [key, assumptionValue(plan.assumptions[key]), ASSUMPTION_REASONS[key]])),
    '',
    '### What the counts rest on',
    '',
    ...plan.notes.map((note) => `- ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}

function measuredInputs(plan: CapacityPlan): [string, MeasuredInput][] {
  const { inputs } = plan;
  return [
    ['command API', inputs.commandApi],
    ['raw pg writes', inputs.rawPgWrites],
    ['query API', inputs.queryApi],
    ['search share of reads', inputs.searchShare],
    ['Redis server', inputs.redisOps],
    ['Elasticsearch search', inputs.elasticsearchSearches],
    ['Elasticsearch indexing', inputs.elasticsearchIndexing],
    ...Object.entries(inputs.workerEventsPerSecond).map(([name, input]): [string, MeasuredInput] => [`worker: ${name}`, input]),
    ['partitions', inputs.partitionsMeasured],
    ...(inputs.scaleOut ? [['scale-out: one worker', inputs.scaleOut.before], ['scale-out: two workers', inputs.scaleOut.after]] as [string, MeasuredInput][] : []),
  ];
}

function assumptionValue(value: CapacityAssumptions[keyof CapacityAssumptions]): string {
  if (typeof value === 'number') return count(value);
  return Object.entries(value).map(([topic, events]) => `${topic} ${count(events)}`).join(', ');
}

function count(value: number): string {
  return value.toLocaleString('en', { maximumFractionDigits: 2 });
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
