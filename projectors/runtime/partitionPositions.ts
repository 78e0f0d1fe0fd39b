// Where each assigned partition must continue: the store's checkpoint + 1, or the start of
// the log when the store has none. The store is the source of truth; Kafka's committed
// offset only decides where the fetch starts, and the batch handler seeks when they differ.
import type { Admin } from 'kafkajs';
import type { ProjectionStore } from '../projection.ts';

export class PartitionPositions {
  private readonly next = new Map<string, bigint>();
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
    this.next.clear();
    this.loading.clear();
  }

  /** The offset the next applied message of the partition must have. */
  async nextOffset(topic: string, partition: number): Promise<bigint> {
    const known = this.next.get(slot(topic, partition));
    if (known !== undefined) return known;
    let load = this.loading.get(topic);
    if (!load) {
      load = this.load(topic);
      this.loading.set(topic, load);
      load.catch(() => this.loading.delete(topic));
    }
    const epoch = this.epoch;
    await load;
    const loaded = this.next.get(slot(topic, partition));
    if (loaded !== undefined) return loaded;
    if (epoch !== this.epoch) return this.nextOffset(topic, partition);
    throw new Error(`${topic} has no partition ${partition}`);
  }

  /** The known position without loading, e.g. to tell whether a batch moved it meanwhile. */
  peek(topic: string, partition: number): bigint | undefined {
    return this.next.get(slot(topic, partition));
  }

  advance(topic: string, partition: number, lastOffset: string): void {
    this.next.set(slot(topic, partition), BigInt(lastOffset) + 1n);
  }

  private async load(topic: string): Promise<void> {
    const epoch = this.epoch;
    const [checkpoints, offsets] = await Promise.all([this.store.readCheckpoints(topic), this.admin.fetchTopicOffsets(topic)]);
    if (epoch !== this.epoch) return;
    for (const { partition, low } of offsets) {
      const checkpoint = checkpoints.get(partition);
      this.next.set(slot(topic, partition), checkpoint === undefined ? BigInt(low) : BigInt(checkpoint) + 1n);
    }
  }
}

function slot(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
