// Reads event topics from the beginning with a fresh consumer group and keeps every
// message, so tests can wait for the ones they caused (by key or event id).
import type { Consumer } from 'kafkajs';
import { config } from '../../lib/config.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { uniqueName } from './stack.ts';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(topics: string[]): Promise<TopicReader> {
    const kafka = kafkaClient(config(), 'test-reader', { clientId: 'outflow-test-reader' });
    const consumer = kafka.consumer({ groupId: uniqueName('test-reader'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const reader = new TopicReader(consumer);
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        // A header without a value (the router's for a null column) reads as absent, as the projectors read it.
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([, v]) => v != null).map(([k, v]) => [k, String(v)]));
        reader.messages.push({ topic, partition, offset: message.offset, key: String(message.key), value: message.value ?? Buffer.alloc(0), headers });
      },
    });
    return reader;
  }

  /** Waits until `done` holds for the messages read so far. */
  async waitFor(what: string, done: (messages: ReadMessage[]) => boolean, timeoutMs = 60_000): Promise<ReadMessage[]> {
    return pollUntil(what, async () => (done(this.messages) ? this.messages : undefined), { timeoutMs, intervalMs: 100 });
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}
