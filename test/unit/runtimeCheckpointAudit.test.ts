// The idle check: which assigned partitions have a store checkpoint behind what was applied.
import type { Admin } from 'kafkajs';
import t from 'tap';
import type { PartitionBatch, ProjectionStore, PartitionFreshness } from '../../projectors/projection.ts';
import { partitionsBehind } from '../../projectors/runtime/checkpointAudit.ts';
import { PartitionPositions } from '../../projectors/runtime/partitionPositions.ts';

/** Checkpoints per topic, with a hook that runs while they are read (a batch committing meanwhile). */
class CheckpointTable implements ProjectionStore {
  duringRead: () => void = () => {};
  constructor(readonly checkpoints: Record<string, Record<number, string>>) {}
  /** This double records no source times. */
  async readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    return new Map([...(await this.readCheckpoints(topic))].map(([partition, offset]) => [partition, { offset }]));
  }

  async readCheckpoints(topic: string): Promise<Map<number, string>> {
    const read = new Map(Object.entries(this.checkpoints[topic] ?? {}).map(([p, o]) => [Number(p), o]));
    this.duringRead();
    return read;
  }
  async applyBatch(_batch: PartitionBatch): Promise<void> {}
  async init(): Promise<void> {}
  async truncate(): Promise<void> {}
  async activate(): Promise<void> {}
  async close(): Promise<void> {}
}

// Positions here are only advanced, never loaded, so no admin client is ever asked.
const noAdmin = {} as Admin;

t.test('partitions whose checkpoint is behind or gone are reported; unknown and equal ones are not', async (t) => {
  const store = new CheckpointTable({ 'events.order': { 0: '10', 1: '4', 3: '7' } });
  const positions = new PartitionPositions(store, noAdmin);
  positions.advance('events.order', 0, '10');
  positions.advance('events.order', 1, '9');
  positions.advance('events.order', 2, '5');
  const behind = await partitionsBehind(store, positions, { 'events.order': [0, 1, 2, 3] });
  t.same(behind, [
    { topic: 'events.order', partition: 1, lastApplied: '9', stored: '4' },
    { topic: 'events.order', partition: 2, lastApplied: '5', stored: null },
  ]);
});

t.test('a batch that commits while the checkpoints are read is not mistaken for a loss', async (t) => {
  const store = new CheckpointTable({ 'events.order': { 0: '10' } });
  const positions = new PartitionPositions(store, noAdmin);
  positions.advance('events.order', 0, '10');
  // The read returns 10, then the worker records 12: compared with 10, as taken before the read.
  store.duringRead = () => positions.advance('events.order', 0, '12');
  t.same(await partitionsBehind(store, positions, { 'events.order': [0] }), []);
});

t.test('a rewound position takes the store checkpoint, or none', async (t) => {
  const store = new CheckpointTable({});
  const positions = new PartitionPositions(store, noAdmin);
  positions.advance('events.order', 0, '10');
  positions.resetTo('events.order', 0, '4');
  t.equal(positions.peek('events.order', 0), 5n);
  t.equal(positions.peekLastApplied('events.order', 0), '4');
  positions.resetTo('events.order', 0, null);
  t.equal(positions.peekLastApplied('events.order', 0), undefined, 'read again from the store and the log start');
});
