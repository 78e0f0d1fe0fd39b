// Readiness (caught up) and liveness (making progress) of a projector worker, from samples of
// its assigned partitions.
import t from 'tap';
import { PartitionProgress } from '../../projectors/runtime/partitionProgress.ts';

const thresholds = { readyLag: 10, stallMs: 60_000 };

t.test('ready only when every assigned partition was sampled and is within readyLag', async (t) => {
  const progress = new PartitionProgress();
  progress.assign({ 'events.order': [0, 1] });
  t.same(progress.verdict(0, thresholds, false).behind, [{ topic: 'events.order', partition: 0, lag: -1 }, { topic: 'events.order', partition: 1, lag: -1 }], 'not sampled yet: not ready');
  progress.observe({ topic: 'events.order', partition: 0, applied: 99n, end: 99n }, 0);
  progress.observe({ topic: 'events.order', partition: 1, applied: 50n, end: 99n }, 0);
  const behind = progress.verdict(0, thresholds, false);
  t.equal(behind.ready, false);
  t.same(behind.behind, [{ topic: 'events.order', partition: 1, lag: 49 }]);
  progress.observe({ topic: 'events.order', partition: 1, applied: 90n, end: 99n }, 1_000);
  t.equal(progress.verdict(1_000, thresholds, false).ready, true, 'lag 9 ≤ 10');
  progress.observe({ topic: 'events.order', partition: 1, applied: null, end: -1n }, 2_000);
  t.equal(progress.verdict(2_000, thresholds, false).ready, true, 'an empty partition with nothing applied is caught up');
  progress.observe({ topic: 'events.order', partition: 1, applied: null, end: 10n }, 3_000);
  t.same(progress.verdict(3_000, thresholds, false).behind, [{ topic: 'events.order', partition: 1, lag: 11 }], 'nothing applied of 11 messages');
});

t.test('not live when a partition with work has not moved for stallMs, unless the consumer is retrying', async (t) => {
  const progress = new PartitionProgress();
  progress.assign({ 'events.product': [3] });
  progress.observe({ topic: 'events.product', partition: 3, applied: 5n, end: 20n }, 0);
  t.equal(progress.verdict(59_999, thresholds, false).live, true, 'within the stall time');
  progress.observe({ topic: 'events.product', partition: 3, applied: 5n, end: 25n }, 59_999);
  const stuck = progress.verdict(60_000, thresholds, false);
  t.equal(stuck.live, false, 'the end moved, the checkpoint did not');
  t.same(stuck.stalled, [{ topic: 'events.product', partition: 3, lag: 20 }]);
  t.equal(progress.verdict(60_000, thresholds, true).live, true, 'a consumer waiting out an outage stays live');
  progress.observe({ topic: 'events.product', partition: 3, applied: 6n, end: 25n }, 61_000);
  t.equal(progress.verdict(120_000, thresholds, false).live, true, 'the checkpoint moved: the stall clock restarts');
  t.equal(progress.verdict(121_000, thresholds, false).live, false, '…and runs out again');
});

t.test('an idle, fully applied partition is never stalled however long it stays so', async (t) => {
  const progress = new PartitionProgress();
  progress.assign({ 'events.order': [0] });
  progress.observe({ topic: 'events.order', partition: 0, applied: 7n, end: 7n }, 0);
  progress.observe({ topic: 'events.order', partition: 0, applied: 7n, end: 7n }, 10 * 60_000);
  t.same(progress.verdict(10 * 60_000, thresholds, false), { ready: true, live: true, behind: [], stalled: [] });
  progress.observe({ topic: 'events.order', partition: 0, applied: 7n, end: 8n }, 10 * 60_000 + 1);
  t.equal(progress.verdict(10 * 60_000 + 59_000, thresholds, false).live, true, 'new work: the stall clock starts from the last time it was idle');
});

t.test('a new assignment forgets partitions moved away and waits for samples of new ones', async (t) => {
  const progress = new PartitionProgress();
  progress.assign({ a: [0, 1] });
  progress.observe({ topic: 'a', partition: 0, applied: 1n, end: 1n }, 0);
  progress.observe({ topic: 'a', partition: 1, applied: 1n, end: 1n }, 0);
  progress.assign({ a: [1], b: [0] });
  t.same([...progress.assignedTopics()], [['a', [1]], ['b', [0]]]);
  t.same(progress.verdict(0, thresholds, false).behind, [{ topic: 'b', partition: 0, lag: -1 }]);
});
