// Reads a stretch of a projection's DLQ (one partition) by offset, for `outflow dlq retry|skip`.
// A throwaway consumer group that never commits: reading the DLQ changes nothing in it.
import crypto from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { pollUntil } from '../../lib/pollUntil.ts';
import { dlqTopicOf } from '../projection.ts';
import { DLQ_PARTITION } from './deadLetterQueue.ts';
import type { RawMessage } from './messageDecoding.ts';

export interface DlqMessage extends RawMessage {
  dlqOffset: string;
  headers: IHeaders;
}

/** Every DLQ message with fromOffset <= offset <= toOffset, in offset order. */
export async function readDlqRange(kafka: Kafka, projection: string, fromOffset: string, toOffset: string, timeoutMs = 30_000): Promise<DlqMessage[]> {
  const from = BigInt(fromOffset);
  const to = BigInt(toOffset);
  if (to < from) return [];
  const topic = dlqTopicOf(projection);
  const consumer = kafka.consumer({ groupId: `outflow.dlq-reader.${projection}.${crypto.randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  const found = new Map<bigint, DlqMessage>();
  let highest = -1n;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset > highest) highest = offset;
          if (offset < from || offset > to) continue;
          found.set(offset, { key: message.key, value: message.value, headers: message.headers ?? {}, dlqOffset: message.offset });
        }
      },
    });
    consumer.seek({ topic, partition: DLQ_PARTITION, offset: fromOffset });
    await pollUntil(`${topic} read through offset ${toOffset}`, async () => (highest >= to ? true : undefined), { timeoutMs, intervalMs: 50 });
  } finally {
    await consumer.disconnect();
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, message]) => message);
}
