// The newest event each partition of the event topics holds: where the connector's stream
// stopped, as the topics themselves record it (Connect's offsets may have been reset or lost
// with the connector). Only the tail of each partition is read, whatever the topic's size.
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { pollUntil } from '../lib/pollUntil.ts';

export interface PartitionTail {
  topic: string;
  partition: number;
  /** Offset of the partition's last record. */
  offset: string;
  /** Its eventId header (undefined for a record without one). */
  eventId: string | undefined;
}

/** How many records before the end are read: a few records' slack for anything that is not an event. */
const TAIL_RECORDS = 5;

export async function partitionTails(kafka: Kafka, topics: readonly string[], { timeoutMs = 60_000 } = {}): Promise<PartitionTail[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `outflow-topic-tails-${crypto.randomUUID()}`;
  try {
    const ends = new Map<string, { start: bigint; last: bigint }>();
    // Retried: just after the topics are created their leaders may still be moving.
    const offsets = await pollUntil('the event topics\' offsets', async () => Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))), { timeoutMs: 30_000 });
    for (const { topic, partitions } of offsets) {
      for (const { partition, low, high } of partitions) {
        if (BigInt(high) > BigInt(low)) {
          const start = BigInt(high) - BigInt(TAIL_RECORDS) > BigInt(low) ? BigInt(high) - BigInt(TAIL_RECORDS) : BigInt(low);
          ends.set(`${topic}/${partition}`, { start, last: BigInt(high) - 1n });
        }
      }
    }
    if (!ends.size) return [];
    // A throwaway group positioned just before each partition's end: nothing else is fetched.
    for (const topic of topics) {
      const partitions = [...ends].filter(([key]) => key.startsWith(`${topic}/`)).map(([key, { start }]) => ({ partition: Number(key.slice(topic.length + 1)), offset: String(start) }));
      if (partitions.length) await admin.setOffsets({ groupId, topic, partitions });
    }
    const tails = new Map<string, PartitionTail>();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...topics], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const raw = message.headers?.eventId;
          const eventId = raw === undefined ? undefined : String(Array.isArray(raw) ? raw[0] : raw);
          const key = `${topic}/${partition}`;
          const seen = tails.get(key);
          if (!seen || BigInt(message.offset) > BigInt(seen.offset)) tails.set(key, { topic, partition, offset: message.offset, eventId });
        },
      });
      await pollUntil(
        `the last record of ${ends.size} partitions of ${topics.join(', ')}`,
        async () => ([...ends].every(([key, { last }]) => { const t = tails.get(key); return t !== undefined && BigInt(t.offset) >= last; }) ? true : undefined),
        { timeoutMs, intervalMs: 50 },
      );
    } finally {
      await consumer.disconnect();
    }
    return [...tails.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

