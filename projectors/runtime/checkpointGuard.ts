// The check that a store still holds what this worker applied. A store can lose its last
// acknowledged writes in a crash (the read Postgres commits asynchronously, Redis fsyncs its
// AOF once a second) while the worker remembers where it was; applying the next batch there
// would leave a hole that no checkpoint shows. So every write names the checkpoint it expects
// (the store checks it in the same atomic unit as the writes), and a chunk's writes follow on
// from each other.
import { CheckpointMismatch } from '../../lib/errors.ts';
import type { PartitionBatch, PartitionFreshness, ProjectionStore } from '../projection.ts';

/**
 * What a checkpoint other than the expected one means for a batch ending at `lastOffset`:
 * - `applied`: the store holds exactly this batch's end (a retry of a write that committed
 *   although its reply was lost), so the batch is done;
 * - `behind`: the store lost writes this worker made; continue from the store's checkpoint;
 * - `ahead`: someone else applied past what this worker knew (a previous owner of the
 *   partition, or a chunk interrupted after some writes); continue after the store's checkpoint.
 */
export type CheckpointDisagreement = 'applied' | 'behind' | 'ahead';

export function judgeCheckpointDisagreement(expected: string | null, actual: string | null, lastOffset: string): CheckpointDisagreement {
  if (actual === lastOffset) return 'applied';
  return checkpointBehind(expected, actual) ? 'behind' : 'ahead';
}

/** Whether the store's checkpoint `actual` is before the `expected` one (none counts as before any). */
export function checkpointBehind(expected: string | null, actual: string | null): boolean {
  if (expected === null) return false;
  return actual === null || BigInt(actual) < BigInt(expected);
}

/**
 * A store for one chunk of one partition: each applyBatch expects the checkpoint the previous
 * one left, starting from the partition's last known checkpoint. A disagreement other than an
 * already applied batch is thrown (CheckpointMismatch) for the consumer to seek.
 */
export class CheckpointCheckedStore implements ProjectionStore {
  constructor(
    private readonly store: ProjectionStore,
    private lastApplied: string | null,
  ) {}

  async applyBatch(batch: PartitionBatch): Promise<void> {
    try {
      await this.store.applyBatch({ ...batch, expectedCheckpoint: this.lastApplied });
    } catch (error) {
      if (!(error instanceof CheckpointMismatch) || judgeCheckpointDisagreement(error.expected, error.actual, batch.lastOffset) !== 'applied') throw error;
    }
    this.lastApplied = batch.lastOffset;
  }

  init(): Promise<void> {
    return this.store.init();
  }

  readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>> {
    return this.store.readCheckpoints(topic, partitions);
  }

  readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    return this.store.readFreshness(topic);
  }

  truncate(): Promise<void> {
    return this.store.truncate();
  }

  activate(): Promise<void> {
    return this.store.activate();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
