// Where each assigned partition must continue: the store's checkpoint + 1, or the start of
// the log when the store has none. The store is the source of truth; Kafka's committed
// offset only decides where the fetch starts, and the batch handler seeks when they differ.
import type { Admin } from 'kafkajs';
import type { ProjectionStore } from '../projection.ts';

export interface PartitionPosition {
  /** The offset the next applied message of the partition must have. */
  next: bigint;
  /** The store's checkpoint as this worker last knew it: null when the store had none. */
  lastApplied: string | null;
}

export class PartitionPositions {
  private readonly positions = new Map<string, PartitionPosition>();
  private readonly loading = new Map<string, Promise<void>>();
  // A load that began before a rebalance must not write positions read before it.
  private epoch = 0;

  constructor(
    private readonly store: ProjectionStore,
    private readonly admin: Admin,
  ) {}

  /** Forgets everything: after a rebalance another worker may have moved the checkpoints. */
  clear(): void {
    this.epoch += 1;
    this.positions.clear();
    this.loading.clear();
  }

  /** The offset the next applied message of the partition must have. */
  async nextOffset(topic: string, partition: number): Promise<bigint> {
    return (await this.position(topic, partition)).next;
  }

  async position(topic: string, partition: number): Promise<PartitionPosition> {
    const known = this.positions.get(slot(topic, partition));
    if (known !== undefined) return known;
    let load = this.loading.get(topic);
    if (!load) {
      load = this.load(topic);
      this.loading.set(topic, load);
      load.catch(() => this.loading.delete(topic));
    }
    const epoch = this.epoch;
    await load;
    const loaded = this.positions.get(slot(topic, partition));
    if (loaded !== undefined) return loaded;
    if (epoch !== this.epoch) return this.position(topic, partition);
    throw new Error(`${topic} has no partition ${partition}`);
  }

  /** The known position without loading, e.g. to tell whether a batch moved it meanwhile. */
  peek(topic: string, partition: number): bigint | undefined {
    return this.positions.get(slot(topic, partition))?.next;
  }

  /** The last applied offset as known now, without loading: undefined when not known. */
  peekLastApplied(topic: string, partition: number): string | null | undefined {
    return this.positions.get(slot(topic, partition))?.lastApplied;
  }

  advance(topic: string, partition: number, lastOffset: string): void {
    this.positions.set(slot(topic, partition), { next: BigInt(lastOffset) + 1n, lastApplied: lastOffset });
  }

  /**
   * Takes the store's checkpoint as the partition's position, after the store reported one other
   * than expected. Without a checkpoint the position is the start of the log, read again.
   */
  resetTo(topic: string, partition: number, checkpoint: string | null): void {
    if (checkpoint !== null) {
      this.advance(topic, partition, checkpoint);
      return;
    }
    this.positions.delete(slot(topic, partition));
    // A finished load of the topic would not fill the slot again.
    this.loading.delete(topic);
  }

  private async load(topic: string): Promise<void> {
    const epoch = this.epoch;
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const checkpoints = await this.store.readCheckpoints(topic, offsets.map(({ partition }) => partition));
    if (epoch !== this.epoch) return;
    for (const { partition, low } of offsets) {
      // A batch applied while this load ran knows better than what the load read before it.
      if (this.positions.has(slot(topic, partition))) continue;
      const checkpoint = checkpoints.get(partition);
      this.positions.set(slot(topic, partition), checkpoint === undefined ? { next: BigInt(low), lastApplied: null } : { next: BigInt(checkpoint) + 1n, lastApplied: checkpoint });
    }
  }
}

function slot(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
