// How far a rebuild is. The replay's target is fixed when it starts: each partition's end
// offset at that moment. Done = offsets up to the new generation's checkpoints (the store's
// own, written atomically with the data), so a resumed rebuild starts with what the previous
// run finished. Lag = how far the checkpoints trail the topics' current ends.
import type { Admin } from 'kafkajs';
import type { ProjectionStore } from '../projection.ts';

export interface PartitionRange {
  topic: string;
  partition: number;
  /** The first offset still in the log. */
  low: bigint;
  /** The end offset when the rebuild started (next offset to be written). */
  high: bigint;
}

export type RebuildPhase = 'replaying' | 'catching-up' | 'ready' | 'switched' | 'handover' | 'done' | 'interrupted';

export interface RebuildProgress {
  projection: string;
  generation: number;
  phase: RebuildPhase;
  /** Messages of the replay range applied (or skipped) so far. */
  done: number;
  /** Messages in the replay range: from the start of each partition to its end at start. */
  total: number;
  /** Over the last interval. */
  eventsPerSecond: number;
  /** Seconds to the end of the replay at the current rate; null when unknown. */
  etaSeconds: number | null;
  /** Messages the generation is behind the topics' current ends (after the replay). */
  lag: number | null;
  elapsedMs: number;
}

export async function captureEndOffsets(admin: Admin, topics: readonly string[]): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = [];
  for (const topic of topics) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      ranges.push({ topic, partition, low: BigInt(low), high: BigInt(high) });
    }
  }
  return ranges;
}

async function checkpointsOf(store: ProjectionStore, ranges: readonly PartitionRange[]): Promise<Map<string, bigint>> {
  const all = new Map<string, bigint>();
  for (const topic of new Set(ranges.map((r) => r.topic))) {
    const partitions = ranges.filter((r) => r.topic === topic).map((r) => r.partition);
    for (const [partition, offset] of await store.readCheckpoints(topic, partitions)) all.set(`${topic}:${partition}`, BigInt(offset));
  }
  return all;
}

/** Replay messages done and in all, against the ranges captured at start. */
export async function replayProgress(store: ProjectionStore, ranges: readonly PartitionRange[]): Promise<{ done: number; total: number }> {
  const checkpoints = await checkpointsOf(store, ranges);
  let done = 0n;
  let total = 0n;
  for (const range of ranges) {
    total += range.high - range.low;
    const next = (checkpoints.get(`${range.topic}:${range.partition}`) ?? range.low - 1n) + 1n;
    const reached = next < range.low ? range.low : next > range.high ? range.high : next;
    done += reached - range.low;
  }
  return { done: Number(done), total: Number(total) };
}

/** Messages now in the topics that the generation has not applied yet. */
export async function currentLag(admin: Admin, store: ProjectionStore, topics: readonly string[]): Promise<number> {
  const now = await captureEndOffsets(admin, topics);
  const checkpoints = await checkpointsOf(store, now);
  let lag = 0n;
  for (const range of now) {
    const next = (checkpoints.get(`${range.topic}:${range.partition}`) ?? range.low - 1n) + 1n;
    if (range.high > next) lag += range.high - (next < range.low ? range.low : next);
  }
  return Number(lag);
}
