// The idle half of the checkpoint check. Each batch checks the store's checkpoint as it writes
// (checkpointGuard.ts), but a partition that receives nothing new writes nothing: if its store
// lost the last writes, no batch would notice and the lost events would stay missing until the
// next message or rebalance. So the consumer compares, now and then, every assigned partition's
// stored checkpoint with what it applied there.
import type { ProjectionStore } from '../projection.ts';
import { checkpointBehind } from './checkpointGuard.ts';
import type { PartitionPositions } from './partitionPositions.ts';

export interface CheckpointBehind {
  topic: string;
  partition: number;
  /** What this worker applied last. */
  lastApplied: string;
  /** What the store holds: before it, or nothing. */
  stored: string | null;
}

/** The assigned partitions whose store checkpoint is behind what this worker applied. */
export async function partitionsBehind(store: ProjectionStore, positions: PartitionPositions, assignment: Record<string, number[]>): Promise<CheckpointBehind[]> {
  const behind: CheckpointBehind[] = [];
  for (const [topic, partitions] of Object.entries(assignment)) {
    // Taken before the read: a batch committing meanwhile moves the store forward, never behind these.
    const applied = new Map<number, string>();
    for (const partition of partitions) {
      const lastApplied = positions.peekLastApplied(topic, partition);
      if (lastApplied !== undefined && lastApplied !== null) applied.set(partition, lastApplied);
    }
    if (applied.size === 0) continue;
    const stored = await store.readCheckpoints(topic, [...applied.keys()]);
    for (const [partition, lastApplied] of applied) {
      const checkpoint = stored.get(partition) ?? null;
      if (checkpointBehind(lastApplied, checkpoint)) behind.push({ topic, partition, lastApplied, stored: checkpoint });
    }
  }
  return behind;
}

export interface CheckpointAuditOptions {
  store: ProjectionStore;
  positions: PartitionPositions;
  assignment(): Record<string, number[]>;
  intervalMs: number;
  onBehind(behind: CheckpointBehind): Promise<void>;
  onError(error: unknown): void;
}

/** Runs partitionsBehind every `intervalMs` (never two at once) and hands each finding on. */
export class CheckpointAudit {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: CheckpointAuditOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { store, positions, assignment, onBehind, onError } = this.options;
    try {
      for (const behind of await partitionsBehind(store, positions, assignment())) {
        // A rebalance or a rewind by a batch since the snapshot: the finding is out of date.
        if (positions.peekLastApplied(behind.topic, behind.partition) !== behind.lastApplied) continue;
        await onBehind(behind);
      }
    } catch (error) {
      onError(error);
    } finally {
      this.running = false;
    }
  }
}
