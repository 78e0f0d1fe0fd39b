// What the projector makes of a store checkpoint other than the one it expects, and how a
// chunk's writes chain their expected checkpoints.
import t from 'tap';
import { CheckpointMismatch } from '../../lib/errors.ts';
import type { PartitionBatch, ProjectionStore, PartitionFreshness } from '../../projectors/projection.ts';
import { CheckpointCheckedStore, checkpointBehind, judgeCheckpointDisagreement } from '../../projectors/runtime/checkpointGuard.ts';

t.test('a checkpoint before the expected one, or none at all, is behind: the store lost writes', async (t) => {
  t.ok(checkpointBehind('41', '40'));
  t.ok(checkpointBehind('41', null), 'no checkpoint any more');
  t.ok(checkpointBehind('100', '99'), 'compared as numbers, not text');
  t.notOk(checkpointBehind('99', '100'), 'compared as numbers, not text');
  t.notOk(checkpointBehind('41', '42'), 'ahead');
  t.notOk(checkpointBehind(null, '0'), 'nothing applied yet: any checkpoint is ahead');
  t.notOk(checkpointBehind('9007199254740993', '9007199254740994'), 'beyond double precision');
  t.ok(checkpointBehind('9007199254740993', '9007199254740992'), 'beyond double precision');
});

t.test('judging a disagreement for a batch ending at lastOffset', async (t) => {
  t.equal(judgeCheckpointDisagreement('40', '45', '45'), 'applied', 'a retried write that had committed');
  t.equal(judgeCheckpointDisagreement(null, '45', '45'), 'applied');
  t.equal(judgeCheckpointDisagreement('40', '30', '45'), 'behind');
  t.equal(judgeCheckpointDisagreement('40', null, '45'), 'behind');
  t.equal(judgeCheckpointDisagreement('40', '43', '45'), 'ahead', 'part of the range applied by someone else');
  t.equal(judgeCheckpointDisagreement('40', '50', '45'), 'ahead');
  t.equal(judgeCheckpointDisagreement(null, '3', '45'), 'ahead');
});

/** A store that keeps one partition's checkpoint and enforces the expected one as the adapters do. */
class OnePartitionStore implements ProjectionStore {
  checkpoint: string | null = null;
  readonly seen: (string | null | undefined)[] = [];
  async applyBatch(batch: PartitionBatch): Promise<void> {
    this.seen.push(batch.expectedCheckpoint);
    if (batch.expectedCheckpoint !== undefined && batch.expectedCheckpoint !== this.checkpoint) {
      throw new CheckpointMismatch('p', { topic: batch.topic, partition: batch.partition }, batch.expectedCheckpoint, this.checkpoint);
    }
    this.checkpoint = batch.lastOffset;
  }
  async init(): Promise<void> {}
  /** This double records no source times. */
  async readFreshness(): Promise<Map<number, PartitionFreshness>> {
    return new Map([...(await this.readCheckpoints())].map(([partition, offset]) => [partition, { offset }]));
  }
  async readCheckpoints(): Promise<Map<number, string>> {
    return new Map(this.checkpoint === null ? [] : [[0, this.checkpoint]]);
  }
  async truncate(): Promise<void> {}
  async activate(): Promise<void> {}
  async close(): Promise<void> {}
}

const batch = (lastOffset: string): PartitionBatch => ({ topic: 'events.order', partition: 0, events: [], lastOffset });

t.test("each write of a chunk expects the checkpoint the previous one left", async (t) => {
  const store = new OnePartitionStore();
  const checked = new CheckpointCheckedStore(store, null);
  await checked.applyBatch(batch('3'));
  await checked.applyBatch(batch('7'));
  await checked.applyBatch(batch('8'));
  t.same(store.seen, [null, '3', '7']);
  t.equal(store.checkpoint, '8');
});

t.test('a write whose retry finds its own end already stored counts as applied', async (t) => {
  const store = new OnePartitionStore();
  store.checkpoint = '7';
  const checked = new CheckpointCheckedStore(store, '3');
  await checked.applyBatch(batch('7'));
  await checked.applyBatch(batch('9'));
  t.same(store.seen, ['3', '7'], 'the next write expects the batch end');
  t.equal(store.checkpoint, '9');
});

t.test('a store that lost writes refuses the batch, and the mismatch names both checkpoints', async (t) => {
  const store = new OnePartitionStore();
  store.checkpoint = '2';
  const checked = new CheckpointCheckedStore(store, '5');
  await t.rejects(checked.applyBatch(batch('9')), { code: 'OUTFLOW_ERR_CHECKPOINT_MISMATCH', expected: '5', actual: '2' });
  t.equal(store.checkpoint, '2', 'nothing written');
  t.notOk(new CheckpointMismatch('p', { topic: 't', partition: 1 }, '5', '2').retriable, 'not retried as it is: the consumer seeks instead');
});
