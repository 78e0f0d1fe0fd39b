// What the runtime's integration tests share: a worker on a fresh random generation of the
// test projection, events produced onto events.order exactly as Debezium writes them (Avro
// wire format, key = aggregate id, eventId/eventType/aggregateVersion headers) onto a private
// 12-partition topic (so the real projections never see them), and cleanup of the topic and of
// everything the generation left in the read-model Postgres.
import crypto from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import type { Test } from 'tap';
import { config } from '../../lib/config.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { createLogger } from '../../lib/logger.ts';
import { consumerGroupOf } from '../../projectors/projection.ts';
import { ProjectorWorker, type ProjectorWorkerOptions } from '../../projectors/runtime/projectorWorker.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import { registerCatalogSchemas } from '../../schemas/schemaRegistration.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { ensureParkedKeysTable } from '../../projectors/runtime/parkedKeysTable.ts';
import { ensureRuntimeTestTables, RUNTIME_TEST_PROJECTION, runtimeTestProjection, type RuntimeTestFaults } from './runtimeTestProjection.ts';
import { ensureStack, uniqueName } from './stack.ts';

export interface ProducedMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface RuntimeHarness {
  /** The test's own order topic, partitioned like events.order. */
  topic: string;
  generation: number;
  keyPrefix: string;
  groupId: string;
  pool: pg.Pool;
  kafka: Kafka;
  codec: EventCodec;
  /** A worker of the test projection on this generation, stopped at teardown unless stopped before. */
  startWorker(faults?: RuntimeTestFaults, options?: Partial<ProjectorWorkerOptions>): Promise<ProjectorWorker>;
  /** Produces the messages, in order, to partition 0 of the topic; returns their offsets. */
  produce(messages: ProducedMessage[]): Promise<string[]>;
  orderPlaced(key: string, version?: number): ProducedMessage;
  orderShipped(key: string, version: number): ProducedMessage;
  /** The committed offset of the generation's group on a partition of the topic (default 0). */
  committedOffset(partition?: number): Promise<string | undefined>;
}

function orderMessage(codec: EventCodec, type: 'OrderPlaced' | 'OrderShipped', key: string, version: number): ProducedMessage {
  const envelope = { eventId: crypto.randomUUID(), aggregateId: key, orderId: key, aggregateVersion: version, occurredAt: Date.now() };
  const value = type === 'OrderPlaced' ? codec.encode(type, { ...exampleEvents.OrderPlaced, ...envelope }) : codec.encode(type, { ...exampleEvents.OrderShipped, ...envelope });
  return { key, value, headers: { eventId: envelope.eventId, eventType: type, aggregateVersion: String(version) } };
}

export async function runtimeHarness(t: Test): Promise<RuntimeHarness> {
  await ensureStack('postgres-read', 'kafka', 'registry');
  const base = config();
  // The events these tests produce are encoded with the catalog's schemas: registered here, so the
  // harness does not depend on an earlier test file having registered them (idempotent). Before any
  // connection is opened, so a failure here leaves nothing open that would keep the file running.
  await registerCatalogSchemas(base);
  const codec = await EventCodec.connect(base);
  const cfg = { ...base, logLevel: 'silent' };
  const generation = crypto.randomInt(1_000_000, 2 ** 31);
  const keyPrefix = `${uniqueName('rt')}-`;
  const { host, port, database, user, password } = base.readModel.postgres;
  const pool = new pg.Pool({ host, port, database, user, password, max: 4 });
  const kafka = kafkaClient(base, 'runtime-test', { clientId: 'outflow-runtime-test' });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  await ensureParkedKeysTable(pool);
  await ensureRuntimeTestTables(pool);
  const topic = uniqueName('test.runtime.order');
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: base.events.partitions, replicationFactor: 1 }] });
  const workers: ProjectorWorker[] = [];

  t.teardown(async () => {
    for (const worker of workers) await worker.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    await pool.query('DELETE FROM runtime_test_aggregates WHERE generation = $1', [generation]);
    await pool.query('DELETE FROM projector_checkpoints WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, generation]);
    await pool.query('DELETE FROM projector_parked_keys WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, generation]);
    await pool.end();
  });

  return {
    topic,
    generation,
    keyPrefix,
    groupId: consumerGroupOf(RUNTIME_TEST_PROJECTION, generation),
    pool,
    kafka,
    codec,
    async startWorker(faults, options = {}) {
      const worker = await ProjectorWorker.start({
        config: cfg,
        projections: [runtimeTestProjection(topic, keyPrefix, faults)],
        generation,
        httpPort: null,
        log: createLogger('projector-test', 'silent'),
        backoff: { initialMs: 20, maxMs: 200 },
        parkedKeysTtlMs: 200,
        ...options,
      });
      workers.push(worker);
      return worker;
    },
    orderPlaced: (key, version = 1) => orderMessage(codec, 'OrderPlaced', key, version),
    orderShipped: (key, version) => orderMessage(codec, 'OrderShipped', key, version),
    async produce(messages) {
      const offsets: string[] = [];
      // One send per message: each gets its own offset back, and the order is the list's.
      for (const message of messages) {
        const headers = message.headers;
        const [metadata] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, key: message.key, value: message.value, headers }] });
        offsets.push(metadata!.baseOffset!);
      }
      return offsets;
    },
    async committedOffset(partition = 0) {
      const [fetched] = await admin.fetchOffsets({ groupId: consumerGroupOf(RUNTIME_TEST_PROJECTION, generation), topics: [topic] });
      const offset = fetched?.partitions.find((p) => p.partition === partition)?.offset;
      return offset === undefined || offset === '-1' ? undefined : offset;
    },
  };
}
