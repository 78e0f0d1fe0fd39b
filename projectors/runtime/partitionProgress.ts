// Whether a worker is caught up (readiness) and making progress (liveness), from samples of its
// assigned partitions: the store's checkpoint (what is applied, whoever applied it) and the log's
// end. Sampled, not hooked into batches, so an idle partition that is fully applied counts as
// caught up after a restart, when no batch will ever arrive for it.
//
// Not live means: some partition has messages to apply and its checkpoint has not moved for the
// stall time, while the consumer is not in a known retry (a store or Kafka outage it is waiting
// out). A restart cures a stuck consumer; it cannot cure an outage, so an outage never fails it.

export interface PartitionSample {
  topic: string;
  partition: number;
  /** The store's checkpoint: the last applied offset; null when nothing is applied yet. */
  applied: bigint | null;
  /** The partition's last offset (high watermark - 1); -1 when the partition is empty. */
  end: bigint;
}

export interface ProgressThresholds {
  /** Messages a partition may still have to apply for the worker to count as caught up. */
  readyLag: number;
  /** How long a partition with messages to apply may go without its checkpoint moving. */
  stallMs: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface ProgressVerdict {
  /** Every assigned partition sampled at least once, each within readyLag. */
  ready: boolean;
  live: boolean;
  /** Partitions beyond readyLag (or not sampled yet: lag -1). */
  behind: PartitionLag[];
  /** Partitions with messages to apply whose checkpoint has not moved for stallMs. */
  stalled: PartitionLag[];
}

interface Entry {
  applied: bigint | null;
  end: bigint;
  /** When the checkpoint last moved, or when there was last nothing to apply. */
  progressAt: number;
}

function slot(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function lagOf({ applied, end }: { applied: bigint | null; end: bigint }): number {
  const lag = end - (applied ?? -1n);
  return lag > 0n ? Number(lag) : 0;
}

export class PartitionProgress {
  private assigned: { topic: string; partition: number }[] = [];
  private readonly entries = new Map<string, Entry>();

  /** A new assignment: partitions no longer assigned are forgotten, new ones start unsampled. */
  assign(assignment: Record<string, number[]>): void {
    this.assigned = Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    const keep = new Set(this.assigned.map(({ topic, partition }) => slot(topic, partition)));
    for (const key of this.entries.keys()) if (!keep.has(key)) this.entries.delete(key);
  }

  /** The partitions to sample, by topic. */
  assignedTopics(): Map<string, number[]> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.assigned) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    return byTopic;
  }

  observe(sample: PartitionSample, nowMs: number): void {
    const key = slot(sample.topic, sample.partition);
    const before = this.entries.get(key);
    const moved = !before || before.applied !== sample.applied || lagOf(sample) === 0;
    this.entries.set(key, { applied: sample.applied, end: sample.end, progressAt: moved ? nowMs : before.progressAt });
  }

  /** `retrying`: the consumer is waiting out a transient failure, which stalls without being stuck. */
  verdict(nowMs: number, { readyLag, stallMs }: ProgressThresholds, retrying: boolean): ProgressVerdict {
    const behind: PartitionLag[] = [];
    const stalled: PartitionLag[] = [];
    for (const { topic, partition } of this.assigned) {
      const entry = this.entries.get(slot(topic, partition));
      if (!entry) {
        behind.push({ topic, partition, lag: -1 });
        continue;
      }
      const lag = lagOf(entry);
      if (lag > readyLag) behind.push({ topic, partition, lag });
      if (lag > 0 && nowMs - entry.progressAt >= stallMs) stalled.push({ topic, partition, lag });
    }
    return { ready: behind.length === 0, live: retrying || stalled.length === 0, behind, stalled };
  }
}
