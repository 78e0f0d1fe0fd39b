// `outflow status`'s verdict and screen from a status as the parts report it: every condition
// docs/operations.md lists is a problem, a healthy pipeline has none, parts that did not answer are named
// without inventing problems of the parts behind them; and histograms merged from several workers.
import t from 'tap';
import { bucketQuantile, parseHistogramBuckets } from '../../lib/prometheusHistogram.ts';
import type { PipelineStatus, ProjectionHealth, SourceHealth } from '../../status/pipelineStatus.ts';
import { compactPartitions, statusText } from '../../status/statusText.ts';
import { statusProblems } from '../../status/statusVerdict.ts';

const orderPartitions = Array.from({ length: 4 }, (_, p) => `events.order/${p}`);

function projection(overrides: Partial<ProjectionHealth> = {}): ProjectionHealth {
  return {
    projection: 'order-summary', live: 3, building: null, lag: 0,
    partitions: orderPartitions.map((key, partition) => ({ topic: 'events.order', partition, applied: 10, lag: 0 })),
    eventsPerSecond: 12.5, groupState: 'Stable',
    workers: [{ memberId: 'm1', clientId: 'outflow-projector', host: '10.0.0.7', partitions: orderPartitions }],
    unassigned: [], parkedKeys: 0, freshness: { p50: 40, p99: 180, events: 1000 }, errors: [],
    ...overrides,
  };
}

function source(overrides: Partial<SourceHealth> = {}): SourceHealth {
  return {
    source: 'command-api',
    outboxTable: 'write.outbox',
    connector: { name: 'outflow-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
    slot: { slotName: 'outflow_outbox', active: true, lagBytes: 100, confirmedFlushLsn: '0/1', retainedBytes: 100, walStatus: 'reserved', safeWalBytes: 1e9, maxSlotWalKeepSize: '2GB', heartbeatAgeSeconds: 3 },
    slotName: 'outflow_outbox',
    databasePart: 'command-api postgres',
    ...overrides,
  };
}

const payments = (overrides: Partial<SourceHealth> = {}) =>
  source({
    source: 'payments',
    outboxTable: 'payments.outbox',
    connector: { name: 'outflow-payments', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
    slot: { ...source().slot!, slotName: 'outflow_payments' },
    slotName: 'outflow_payments',
    databasePart: 'payments postgres',
    ...overrides,
  });

function healthy(overrides: Partial<PipelineStatus> = {}): PipelineStatus {
  return {
    checkedAt: '2026-12-05T10:00:00.000Z',
    sources: [source(), payments()],
    topics: [{ topic: 'events.order', partitions: [0, 1, 2, 3].map((partition) => ({ partition, low: 0, high: 11 })), messages: 44 }],
    projections: [projection()],
    rebuilds: [],
    unreachable: [],
    ...overrides,
  };
}

t.test('a healthy pipeline has no problem, and the screen says so', async (t) => {
  t.same(statusProblems(healthy(), { maxLag: 0 }), []);
  const text = statusText(healthy(), []);
  t.match(text, /: healthy\n/);
  t.match(text, /order-summary\s+3\s+0\s+12\.5\s+1 \(4 partitions\)\s+0\s+40 ms \/ 180 ms \(1000 events\)/);
  t.match(text, /outflow-projector\s+10\.0\.0\.7\s+events\.order 0-3/);
  t.notMatch(text, /problems:/);
  const replaying = statusText(healthy({ projections: [projection({ freshness: { p50: 1500, p99: null, events: 9 } })] }), []);
  t.match(replaying, /1\.5 s \/ >300 s \(9 events\)/, 'a percentile beyond the last bucket is shown as such');
});

t.test('each unhealthy condition is one problem naming the part', async (t) => {
  const cases: [string, Partial<PipelineStatus>, RegExp][] = [
    ['connector missing', { sources: [source({ connector: { name: 'outflow-outbox', state: null, tasks: [] } }), payments()] }, /connector outflow-outbox does not exist: run `outflow connectors apply command-api`/],
    ['connector paused', { sources: [source({ connector: { name: 'outflow-outbox', state: 'PAUSED', tasks: [{ id: 0, state: 'PAUSED' }] } }), payments()] }, /connector outflow-outbox is PAUSED/],
    ['task failed', { sources: [source(), payments({ connector: { name: 'outflow-payments', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED' }] } })] }, /connector outflow-payments task 0 is FAILED: `outflow connectors status payments`/],
    ['slot lost', { sources: [source(), payments({ slot: { ...payments().slot!, walStatus: 'lost' } })] }, /replication slot outflow_payments \(payments\) is lost: .*still in payments\.outbox.*connectors recover payments/],
    ['slot missing', { sources: [source({ slot: null }), payments()] }, /replication slot outflow_outbox \(command-api\) does not exist/],
    ['no live generation', { projections: [projection({ live: null })] }, /order-summary has no live generation/],
    ['no worker', { projections: [projection({ workers: [], groupState: 'Empty' })] }, /order-summary: no worker is consuming generation 3 \(consumer group Empty\)/],
    ['partitions unheld', { projections: [projection({ unassigned: ['events.order/3'] })] }, /order-summary: 1 partition\(s\) held by no worker: events\.order\/3/],
    ['lag', { projections: [projection({ lag: 11 })] }, /order-summary is 11 messages behind \(more than --max-lag 10\)/],
    ['parked', { projections: [projection({ parkedKeys: 2 })] }, /order-summary has 2 parked key\(s\): `outflow dlq list order-summary`/],
    ['store unreadable', { projections: [projection({ errors: ['checkpoints unreadable: ECONNREFUSED'] })] }, /order-summary: checkpoints unreadable/],
  ];
  for (const [name, overrides, expected] of cases) {
    const problems = statusProblems(healthy(overrides), { maxLag: 10 });
    t.equal(problems.length, 1, `${name}: one problem (${problems.join(' | ')})`);
    t.match(problems[0], expected, name);
  }
  t.same(statusProblems(healthy({ projections: [projection({ lag: 10 })] }), { maxLag: 10 }), [], 'at --max-lag exactly: fine');
});

t.test('an unreachable part is named once; what it hides is not reported as broken', async (t) => {
  const status = healthy({
    unreachable: [{ part: 'command-api postgres', error: 'ECONNREFUSED' }, { part: 'read postgres', error: 'ECONNREFUSED' }],
    sources: [source({ slot: null }), payments()],
    projections: [projection({ live: null })],
  });
  t.same(statusProblems(status, { maxLag: 0 }), ['command-api postgres unreachable: ECONNREFUSED', 'read postgres unreachable: ECONNREFUSED']);
  const text = statusText(status, statusProblems(status, { maxLag: 0 }));
  t.notMatch(text, /replication slot outflow_outbox: none/, 'the slot is unknown, not absent');
  t.match(text, /payments: connector outflow-payments RUNNING[\s\S]*replication slot outflow_payments: active/, "the other source's database answered: its slot is shown");
  t.match(text, /2 problem\(s\)/);
});

t.test('partition lists are compacted into runs per topic', async (t) => {
  t.equal(compactPartitions(['events.order/0', 'events.order/1', 'events.order/2', 'events.order/5', 'events.product/3']), 'events.order 0-2,5; events.product 3');
  t.equal(compactPartitions([]), '');
});

t.test('histograms of several workers add up bucket by bucket', async (t) => {
  const page = (projection: string, counts: number[]) =>
    [0.1, 1, '+Inf'].map((le, i) => `outflow_projector_freshness_seconds_bucket{le="${le}",projection="${projection}"} ${counts[i]}`).join('\n');
  const buckets = parseHistogramBuckets(page('order-summary', [1, 3, 4]), 'outflow_projector_freshness_seconds');
  parseHistogramBuckets(`${page('order-summary', [3, 5, 6])}\n# HELP other\nother_bucket{le="1"} 9`, 'outflow_projector_freshness_seconds', buckets);
  parseHistogramBuckets(page('sales-report', [0, 0, 2]), 'outflow_projector_freshness_seconds', buckets);
  const series = [...buckets.values()];
  t.equal(series.length, 2);
  t.same(series.find((s) => s.labels.projection === 'order-summary'), { labels: { projection: 'order-summary' }, bounds: [0.1, 1, Infinity], counts: [4, 8, 10] });
  t.equal(bucketQuantile([0.1, 1, Infinity], [4, 8, 10], 0.5), 0.1 + 0.9 * 0.25, 'rank 5 of 10: a quarter into (0.1, 1]');
});
