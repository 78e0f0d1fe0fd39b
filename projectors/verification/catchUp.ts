// Before comparing, `outflow verify` waits until everything committed so far has travelled
// the whole pipeline: first through Debezium (connectors/cdcCatchUp.ts), then through the
// projectors, here: the topics' end offsets, read after the connector has confirmed a marker,
// bound what the read models must have applied; each store's own checkpoints (written
// atomically with the data) must reach them. Committed consumer offsets would not do: they
// trail the stores.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { NotCaughtUp } from '../../lib/errors.ts';
import type { ProjectionStore } from '../projection.ts';

const POLL_MS = 100;

export interface CatchUpTarget {
  projection: string;
  generation: number;
  store: ProjectionStore;
  topics: readonly string[];
}

interface Behind {
  projection: string;
  topic: string;
  partition: number;
  checkpoint: string | undefined;
  lastOffset: string;
}

/** Waits until every target's checkpoints reach the current end of its topics. */
export async function waitForProjections(admin: Admin, targets: readonly CatchUpTarget[], deadline: number): Promise<void> {
  const topics = [...new Set(targets.flatMap((t) => t.topics))];
  const lastOffsets = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const partitions = new Map<number, bigint>();
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      // An empty partition (or one whose records all expired) asks nothing of the projection.
      if (BigInt(high) > BigInt(low)) partitions.set(partition, BigInt(high) - 1n);
    }
    lastOffsets.set(topic, partitions);
  }
  for (;;) {
    const behind: Behind[] = [];
    for (const target of targets) {
      for (const topic of target.topics) {
        const checkpoints = await target.store.readCheckpoints(topic, [...(lastOffsets.get(topic)?.keys() ?? [])]);
        for (const [partition, last] of lastOffsets.get(topic) ?? []) {
          const checkpoint = checkpoints.get(partition);
          if (checkpoint === undefined || BigInt(checkpoint) < last) {
            behind.push({ projection: target.projection, topic, partition, checkpoint, lastOffset: String(last) });
          }
        }
      }
    }
    if (behind.length === 0) return;
    if (Date.now() >= deadline) {
      const projections = [...new Set(behind.map((b) => b.projection))];
      const sample = behind.slice(0, 5).map((b) => `${b.projection} ${b.topic}[${b.partition}] at ${b.checkpoint ?? 'nothing'} of ${b.lastOffset}`);
      throw new NotCaughtUp(
        projections.join(', '),
        `${behind.length} partition(s) behind, e.g. ${sample.join('; ')}`,
        `is a worker running for ${projections.join(', ')}? (\`outflow projector run\`; its /health shows retries)`,
      );
    }
    await sleep(POLL_MS);
  }
}
