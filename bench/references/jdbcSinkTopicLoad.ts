// Fills the run's topic before the connector exists, so the sink is measured draining a
// backlog (as a projector worker catching up on a topic is), never waiting on a producer.
// Each key's partition is chosen here rather than by the client's partitioner, so the loader
// knows which record is the last of each partition: those are the rows the completion check
// looks for (jdbcSinkCompletion.ts).
import type { Message, Producer } from 'kafkajs';
import { connectJsonEncoder, type JdbcSinkField, type JdbcSinkRow } from './connectJsonRecords.ts';

export interface TopicLoad {
  events: number;
  distinctKeys: number;
  /** The last row sent to each partition that received any. */
  lastByPartition: ReadonlyMap<number, JdbcSinkRow>;
  seconds: number;
}

export interface TopicLoadOptions {
  producer: Producer;
  topic: string;
  partitions: number;
  rows: AsyncIterable<JdbcSinkRow[]> | Iterable<JdbcSinkRow[]>;
  fields: readonly JdbcSinkField[];
  signal?: AbortSignal;
  log?: (line: string) => void;
}

// Sends stay sequential: a key's records must reach its partition in the order given, and
// concurrent produce requests may be reordered on a retry. 2,000 records (about 1 MB of JSON
// with schemas) per request keeps the producer well ahead of the sink.
const SEND_BATCH = 2000;

/** FNV-1a: any stable hash would do, the sink only needs every record of a key in one partition. */
export function keyPartition(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

export async function loadTopic({ producer, topic, partitions, rows, fields, signal, log = () => {} }: TopicLoadOptions): Promise<TopicLoad> {
  const encode = connectJsonEncoder(fields);
  const keys = new Set<string>();
  const lastByPartition = new Map<number, JdbcSinkRow>();
  const started = performance.now();
  let pending: Message[] = [];
  let events = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    signal?.throwIfAborted();
    await producer.send({ topic, acks: -1, messages: pending });
    pending = [];
  };

  for await (const batch of rows) {
    for (const row of batch) {
      const { key, value } = encode(row);
      const partition = keyPartition(row.key, partitions);
      pending.push({ key, value, partition });
      keys.add(row.key);
      lastByPartition.set(partition, row);
      events++;
      if (pending.length >= SEND_BATCH) await flush();
    }
  }
  await flush();

  const seconds = (performance.now() - started) / 1000;
  log(`loaded ${events} events (${keys.size} keys) onto ${topic} in ${seconds.toFixed(1)} s`);
  return { events, distinctKeys: keys.size, lastByPartition, seconds };
}
