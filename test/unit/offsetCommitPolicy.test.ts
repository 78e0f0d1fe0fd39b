// When a projection consumer commits its applied offsets to Kafka: after enough time or enough
// events since the last commit, whichever comes first, and never merely because a chunk ended.
import t from 'tap';
import { OffsetCommitPolicy } from '../../projectors/runtime/offsetCommitPolicy.ts';

t.test('chunks of one event at a low rate: no commit until the interval has passed', async (t) => {
  const policy = new OffsetCommitPolicy({ intervalMs: 1_000, maxEvents: 500 }, 0);
  const due = [100, 200, 500, 999].map((now) => policy.applied(1, now));
  t.same(due, [false, false, false, false], 'one-event chunks inside the interval commit nothing');
  t.equal(policy.applied(1, 1_000), true, 'due once the interval has passed');
});

t.test('a fast replay: a commit every maxEvents events, long before the interval', async (t) => {
  const policy = new OffsetCommitPolicy({ intervalMs: 1_000, maxEvents: 500 }, 0);
  t.equal(policy.applied(300, 10), false);
  t.equal(policy.applied(199, 20), false, '499 events: not yet');
  t.equal(policy.applied(1, 30), true, '500 events: due');
});

t.test('a commit starts the count and the clock again', async (t) => {
  const policy = new OffsetCommitPolicy({ intervalMs: 1_000, maxEvents: 500 }, 0);
  t.equal(policy.applied(500, 100), true);
  policy.committed(100);
  t.equal(policy.applied(1, 600), false, '1 event, 500 ms after the commit');
  t.equal(policy.applied(1, 1_099), false, '999 ms after the commit');
  t.equal(policy.applied(1, 1_100), true, 'the interval counts from the commit, not from the start');
});
