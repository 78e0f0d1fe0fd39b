// The reference for end-to-end freshness: a message produced (acks=all, as Debezium's producer
// does) and consumed by a kafkajs consumer on the same broker, at the same open-loop rate. The
// pipeline adds the outbox commit, WAL decoding, Connect and the store write to this floor.
import type { Admin, Kafka } from 'kafkajs';
import { LatencyHistogram } from '../load/latencyHistogram.ts';
import type { OpenLoopResult } from '../load/openLoopLoad.ts';

export async function measureKafkaRoundTrip(options: {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  partitions: number;
  rate: number;
  durationSeconds: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<OpenLoopResult> {
  const { kafka, admin, topic, rate } = options;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: options.partitions, replicationFactor: 1 }] });
  const histogram = new LatencyHistogram();
  const total = Math.round(rate * options.durationSeconds);
  const due = new Float64Array(total);
  let received = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const consumer = kafka.consumer({ groupId: `${topic}.consumer`, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic, fromBeginning: true });
    let assigned!: () => void;
    const ready = new Promise<void>((resolve) => (assigned = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => assigned());
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => {
        const i = Number(message.value!.toString());
        histogram.record(performance.now() - due[i]!);
        received++;
        if (received === total) allReceived();
      },
    });
    await ready;
    const start = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      due[i] = start + (i * 1000) / rate;
      const wait = due[i]! - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sends.push(
        producer.send({ topic, acks: -1, messages: [{ key: String(i), value: String(i) }] }).catch((error: unknown) => {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
        }),
      );
      if (i % Math.max(1, rate) === 0) options.onProgress?.(i, total);
    }
    await Promise.all(sends);
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    const seconds = (performance.now() - start) / 1000;
    return { histogram, targetRate: rate, achievedRate: received / seconds, completed: received, errors: errors + (total - received - errors), errorSamples, peakInFlight: 0, notSent: 0 };
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([`${topic}.consumer`]).catch(() => undefined);
  }
}
