import fc from 'fast-check';
import t from 'tap';
import { BENCH_MIX_EVENTS_PER_COMMAND, DEFAULT_ASSUMPTIONS } from '../../bench/capacity/capacityAssumptions.ts';
import type { CapacityInputs, MeasuredInput } from '../../bench/capacity/capacityInputs.ts';
import { planCapacity, type CapacityPlan, type ProjectionShape } from '../../bench/capacity/capacityModel.ts';
import { mixKind } from '../../bench/load/commandMix.ts';

const measured = (value: number, unit = 'events/s', kind: MeasuredInput['kind'] = 'saturation'): MeasuredInput => ({
  value,
  unit,
  scenario: 'projector-throughput',
  measurementId: `m.${value}`,
  startedAt: '2026-12-07T02:00:00.000Z',
  machineCores: 2,
  kind,
  derivation: 'test',
});

const projections: ProjectionShape[] = [
  { name: 'order-summary', store: 'redis', topics: ['events.order', 'events.payment'] },
  { name: 'customer-orders', store: 'redis', topics: ['events.order'] },
  { name: 'product-search', store: 'elasticsearch', topics: ['events.inventory', 'events.product'] },
  { name: 'sales-report', store: 'postgres', topics: ['events.order'] },
];

const inputs: CapacityInputs = {
  resultsDir: 'results',
  commandApi: measured(600, 'cmd/s'),
  rawPgWrites: measured(1000, 'cmd/s', 'floor'),
  queryApi: measured(10_000, 'req/s'),
  searchShare: measured(0.05, 'share of reads', 'setting'),
  redisOps: measured(60_000, 'req/s'),
  elasticsearchSearches: measured(1000, 'req/s'),
  elasticsearchIndexing: measured(40_000, 'documents/s'),
  workerEventsPerSecond: { 'order-summary': measured(20_000), 'customer-orders': measured(30_000), 'product-search': measured(2_000), 'sales-report': measured(40_000) },
  partitionsMeasured: measured(12, 'partitions per topic', 'setting'),
};

const plan = (writesPerSecond: number, readsPerSecond: number, assumptions = DEFAULT_ASSUMPTIONS): CapacityPlan =>
  planCapacity(inputs, { writesPerSecond, readsPerSecond }, projections, assumptions);
const countOf = (p: CapacityPlan, component: string) => {
  const line = p.lines.find((l) => l.component === component);
  if (!line) throw new Error(`no line ${component}`);
  return line.count;
};

t.test('each count is the ceiling of the target over headroom × the measured figure', async (t) => {
  const p = plan(10_000, 1_000_000);
  // 600 cmd/s on 2 cores: 300 a core; 10,000 / (0.65 × 300) = 51.3
  t.equal(countOf(p, 'command-API replicas'), 52);
  // 10,000 req/s on 2 cores: 5,000 a core; 1,000,000 / (0.65 × 5,000) = 307.7
  t.equal(countOf(p, 'query-API replicas'), 308);
  // product-search reads inventory (1.5) and product (0.15) events per command: 16,500/s over 0.65 × 2,000
  t.equal(p.workers['product-search'], 13);
  t.equal(countOf(p, 'projector workers: product-search (elasticsearch)'), 13);
  // order-summary: 7,500/s over 0.65 × 20,000 = 0.58 → the availability floor
  t.equal(p.workers['order-summary'], 2);
  // Redis: (950,000 × 2 + 15,000 × 3) / (0.65 × 60,000) = 49.9
  t.equal(countOf(p, 'Redis primaries (shards)'), 50);
  t.equal(countOf(p, 'Redis replicas'), 50);
  // Elasticsearch: 16,500 / (0.65 × 40,000) → 1 primary; 50,000 searches / (0.65 × 1,000) = 76.9 → 77 copies, 76 replicas
  t.equal(countOf(p, 'Elasticsearch primary shards'), 1);
  t.equal(countOf(p, 'Elasticsearch replicas per primary'), 76);
  // 1,000 cmd/s raw pg on 2 cores: 500 a core; 10,000 / (0.65 × 500) = 30.8
  t.equal(countOf(p, 'write Postgres primary'), 31);
  t.equal(countOf(p, 'Kafka brokers'), 3);
  // the partitions leave room for twice product-search's workers
  t.equal(countOf(p, 'Kafka partitions: events.inventory'), 26);
  t.equal(countOf(p, 'Kafka partitions: events.order'), 12);
});

t.test('every line says its formula with the numbers it used, and cites its measured inputs', async (t) => {
  const p = plan(10_000, 1_000_000);
  const command = p.lines.find((l) => l.component === 'command-API replicas')!;
  t.match(command.formula, /10,000 writes\/s ÷ \(0\.65 headroom × 300 cmd\/s per core/);
  t.match(command.formula, /600 cmd\/s ÷ 2 cores/);
  t.same(command.inputs, ['projector-throughput/m.600 (600 cmd/s, 2026-12-07)']);
  for (const line of p.lines) t.ok(line.formula.length > 0, `${line.component} has a formula`);
  t.match(p.notes.join('\n'), /Floors, not ceilings: projector-throughput\/m\.1000/);
});

t.test('partitions allow every worker of every projection reading the topic a partition of its own', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 500_000 }), fc.integer({ min: 0, max: 50_000_000 }), (writes, reads) => {
      const p = plan(writes, reads);
      for (const topic of p.topics) {
        for (const consumer of topic.consumers) if (topic.partitions < p.workers[consumer]!) return false;
      }
      return true;
    }),
  );
});

t.test('a larger target never lowers any count', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 20_000_000 }), fc.double({ min: 1, max: 4, noNaN: true }), (writes, reads, factor) => {
      const small = plan(writes, reads);
      const large = plan(Math.ceil(writes * factor), Math.ceil(reads * factor));
      return small.lines.every((line, i) => large.lines[i]!.component === line.component && large.lines[i]!.count >= line.count);
    }),
  );
  const p = plan(10_000, 1_000_000);
  const doubled = plan(20_000, 2_000_000);
  for (const [i, line] of p.lines.entries()) t.ok(doubled.lines[i]!.count >= line.count, `${line.component}: ${line.count} → ${doubled.lines[i]!.count}`);
});

t.test('a zero target still leaves one of every service and the availability floors', async (t) => {
  const p = plan(0, 0);
  t.equal(countOf(p, 'command-API replicas'), 1);
  t.equal(countOf(p, 'query-API replicas'), 1);
  t.equal(countOf(p, 'Kafka brokers'), DEFAULT_ASSUMPTIONS.kafkaReplicationFactor);
  t.equal(countOf(p, 'Elasticsearch replicas per primary'), DEFAULT_ASSUMPTIONS.elasticsearchMinReplicas);
  for (const name of Object.keys(p.workers)) t.equal(p.workers[name], DEFAULT_ASSUMPTIONS.minWorkersPerProjection);
});

t.test('a target or an assumption that cannot be used is refused by name', async (t) => {
  t.throws(() => plan(-1, 10), /target writesPerSecond -1/);
  t.throws(() => plan(10, Number.NaN), /target readsPerSecond NaN/);
  t.throws(() => plan(10, 10, { ...DEFAULT_ASSUMPTIONS, headroom: 0 }), /headroom 0 must be above 0/);
  t.throws(() => plan(10, 10, { ...DEFAULT_ASSUMPTIONS, headroom: 1.2 }), /headroom 1\.2/);
  t.throws(() => plan(10, 10, { ...DEFAULT_ASSUMPTIONS, kafkaReplicationFactor: 0 }), /kafkaReplicationFactor 0 must be above 0/);
  const { 'events.payment': _payment, ...withoutPayment } = BENCH_MIX_EVENTS_PER_COMMAND;
  t.throws(() => plan(10, 10, { ...DEFAULT_ASSUMPTIONS, eventsPerCommand: withoutPayment }), /eventsPerCommand has no figure for events\.payment, which order-summary read/);
  t.throws(() => planCapacity({ ...inputs, workerEventsPerSecond: {} }, { writesPerSecond: 1, readsPerSecond: 1 }, projections, DEFAULT_ASSUMPTIONS), /no worker rate for order-summary/);
});

t.test('the events per command assumed are those of the bench\'s command mix', async (t) => {
  // 60 commands cover every slot of the mix (20) with every line count of PlaceOrder (1-3); a
  // cancel releases the lines of an order placed, 2 on average.
  const events: Record<string, number> = { 'events.order': 0, 'events.inventory': 0, 'events.product': 0 };
  for (let i = 0; i < 60; i += 1) {
    const kind = mixKind(i, Number.POSITIVE_INFINITY);
    const lines = 1 + (i % 3);
    if (kind === 'place') (events['events.order']! += 1), (events['events.inventory']! += lines);
    if (kind === 'reprice') events['events.product']! += 1;
    if (kind === 'restock') events['events.inventory']! += 1;
    if (kind === 'cancel') (events['events.order']! += 1), (events['events.inventory']! += 2);
    if (kind === 'readdress') events['events.order']! += 1;
  }
  for (const [topic, count] of Object.entries(events)) t.equal(BENCH_MIX_EVENTS_PER_COMMAND[topic], count / 60, topic);
});
