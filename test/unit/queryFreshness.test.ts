// The Outflow-Freshness header's logic: the snapshot folded from a store's partitions, the
// header's value, and a refresh that fails keeping the older snapshot (never a fresher one).
import t from 'tap';
import { createLogger } from '../../lib/logger.ts';
import type { PartitionFreshness, ProjectionStore } from '../../projectors/projection.ts';
import { freshnessHeaderValue, ReadModelFreshness, snapshotOf, type FreshnessSnapshot, type FreshnessSource } from '../../query-api/readModelFreshness.ts';

function storeWith(byTopic: Record<string, Record<number, PartitionFreshness>>): ProjectionStore {
  const unused = (): never => {
    throw new Error('not used by snapshotOf');
  };
  return {
    readFreshness: async (topic: string) => new Map(Object.entries(byTopic[topic] ?? {}).map(([p, f]) => [Number(p), f])),
    init: unused, readCheckpoints: unused, applyBatch: unused, truncate: unused, activate: unused, close: unused,
  };
}

t.test('snapshotOf: positions summed as checkpoint + 1 over every partition of every topic, the newest source time', async (t) => {
  const store = storeWith({
    'events.order': { 0: { offset: '9', sourceTimeMs: 1_000 }, 3: { offset: '0', sourceTimeMs: 3_000 } },
    'events.product': { 1: { offset: '18446744073709551000' } },
  });
  t.same(await snapshotOf(store, 4, ['events.order', 'events.product', 'events.none']), {
    generation: 4,
    position: 10n + 1n + 18446744073709551001n,
    newestSourceTimeMs: 3_000,
  }, 'offsets beyond 2^53 stay exact');
  t.same(await snapshotOf(storeWith({ a: { 0: { offset: '4' } } }), 1, ['a']), { generation: 1, position: 5n }, 'no source time recorded: none claimed');
  t.same(await snapshotOf(storeWith({}), 2, ['a']), { generation: 2, position: 0n }, 'nothing applied yet');
});

t.test('freshnessHeaderValue: a dictionary, the age never negative and omitted when unknown', async (t) => {
  t.equal(freshnessHeaderValue({ generation: 3, position: 48_213n, newestSourceTimeMs: 10_000 }, 10_182.4), 'generation=3, position=48213, age-ms=182');
  t.equal(freshnessHeaderValue({ generation: 3, position: 1n, newestSourceTimeMs: 10_000 }, 9_000), 'generation=3, position=1, age-ms=0', 'a clock behind the writer: 0, not negative');
  t.equal(freshnessHeaderValue({ generation: 1, position: 0n }, 5), 'generation=1, position=0');
});

t.test('ReadModelFreshness: a failed refresh keeps the older snapshot, whose age keeps growing; no generation, no header', async (t) => {
  let next: FreshnessSnapshot | undefined | Error = { generation: 2, position: 7n, newestSourceTimeMs: 1_000 };
  const source: FreshnessSource = {
    projection: 'order-summary',
    read: async () => {
      if (next instanceof Error) throw next;
      return next;
    },
  };
  const freshness = new ReadModelFreshness([source], 0, createLogger('test', 'silent'));
  t.equal(freshness.header('order-summary'), undefined, 'before the first refresh');
  await freshness.refresh();
  t.equal(freshness.header('order-summary', 1_250), 'generation=2, position=7, age-ms=250');
  next = new Error('redis down');
  await freshness.refresh();
  t.equal(freshness.header('order-summary', 5_000), 'generation=2, position=7, age-ms=4000', 'the store failed: the last snapshot, aging');
  next = undefined;
  await freshness.refresh();
  t.equal(freshness.header('order-summary', 5_000), undefined, 'the projection lost its generation');
  t.equal(freshness.header('sales-report'), undefined, 'a projection with no source');
});

t.test('ReadModelFreshness: refreshes do not overlap', async (t) => {
  let reads = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const source: FreshnessSource = {
    projection: 'p',
    read: async () => {
      reads += 1;
      await gate;
      return { generation: 1, position: 1n };
    },
  };
  const freshness = new ReadModelFreshness([source], 0, createLogger('test', 'silent'));
  const first = freshness.refresh();
  const second = freshness.refresh();
  release();
  await Promise.all([first, second]);
  t.equal(reads, 1, 'a refresh asked for while one runs joins it');
});
