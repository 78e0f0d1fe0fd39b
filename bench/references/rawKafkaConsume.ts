// The consumption ceiling: a kafkajs consumer that reads the same topics from offset 0 and does
// nothing with the messages, with the projector's consumer settings (3 partitions at a time).
import type { Admin, Kafka } from 'kafkajs';

export async function measureRawConsume(options: { kafka: Kafka; admin: Admin; topics: readonly string[]; groupId: string; timeoutMs: number }): Promise<{ events: number; seconds: number; eventsPerSecond: number }> {
  const { kafka, admin, topics, groupId } = options;
  let total = 0;
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1_048_576 });
  let seen = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    const started = performance.now();
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= total) finished();
      },
    });
    const timeout = setTimeout(finished, options.timeoutMs);
    await done;
    clearTimeout(timeout);
    const seconds = (performance.now() - started) / 1000;
    if (seen < total) throw new Error(`raw consumer saw ${seen} of ${total} messages in ${options.timeoutMs / 1000} s`);
    return { events: total, seconds: Math.round(seconds * 1000) / 1000, eventsPerSecond: Math.round(total / seconds) };
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
