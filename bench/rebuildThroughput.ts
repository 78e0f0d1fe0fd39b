// Rebuild throughput: N OrderPlaced events preloaded onto a private 12-partition topic
// (Avro wire format with Debezium's headers, exactly what events.order holds), then the
// order-summary projection's code (Redis) rebuilt from it with `--parallel` 1, 2 and 4 in
// turn, through the same rebuildProjection() the CLI runs. Each generation is dropped after
// it is measured; the topic and the registry rows are deleted at the end.
//   node --import tsx bench/rebuildThroughput.ts [events=1000000] [parallel=1,2,4]
import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { config, type Config } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { listGenerations } from '../projectors/generations/generationRegistry.ts';
import { dropGenerationData } from '../projectors/generations/generationSwitch.ts';
import { rebuildProjection } from '../projectors/generations/projectionRebuild.ts';
import { orderSummaryProjection } from '../projectors/projections/orderSummary.ts';
import type { ProjectionDefinition } from '../projectors/projection.ts';
import { openStoreContext } from '../projectors/runtime/storeContext.ts';
import { RedisProjectionStore } from '../projectors/stores/redisStore.ts';
import { EventCodec } from '../schemas/eventCodec.ts';
import { exampleEvents } from '../schemas/exampleEvents.ts';

const events = Number(process.argv[2] ?? 1_000_000);
const parallels = (process.argv[3] ?? '1,2,4').split(',').map(Number);
const base = config();
// No live worker follows a benchmark projection: do not wait for one after each switch.
const cfg: Config = { ...base, logLevel: 'warn', rebuild: { ...base.rebuild, handoverTimeoutMs: 1000 } };
const suffix = crypto.randomBytes(3).toString('hex');
const topic = `bench.rebuild.order.${suffix}`;
const name = `bench-order-summary-${suffix}`;
const definition: ProjectionDefinition = {
  ...orderSummaryProjection,
  name,
  topics: [topic],
  createStore: (context) => new RedisProjectionStore(context, name, orderSummaryProjection.opsFor),
};

const kafka = new Kafka({ clientId: 'outflow-bench', brokers: base.kafka.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: base.events.partitions, replicationFactor: 1 }] });
const codec = await EventCodec.connect(base);
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const loadStart = performance.now();
const batch = 5000;
for (let sent = 0; sent < events; sent += batch) {
  const messages = [];
  for (let i = sent; i < Math.min(events, sent + batch); i++) {
    const orderId = `bench-${suffix}-${i}`;
    const eventId = crypto.randomUUID();
    const value = codec.encode('OrderPlaced', { ...exampleEvents.OrderPlaced, eventId, aggregateId: orderId, orderId, aggregateVersion: 1, occurredAt: Date.now() });
    messages.push({ key: orderId, value, headers: { eventId, eventType: 'OrderPlaced', aggregateVersion: '1' } });
  }
  await producer.send({ topic, acks: -1, messages });
}
await producer.disconnect();
const loadSeconds = (performance.now() - loadStart) / 1000;
console.log(`preloaded ${events} events onto ${topic} in ${loadSeconds.toFixed(1)} s`);

const stores = openStoreContext(cfg, 1);
const results: { parallel: number; eventsPerSecond: number; replaySeconds: number }[] = [];
try {
  for (const parallel of parallels) {
    const result = await rebuildProjection({ config: cfg, definition, parallel, concurrency: 12, log: createLogger('bench', 'warn') });
    const replaySeconds = result.replayed / result.eventsPerSecond;
    results.push({ parallel, eventsPerSecond: Math.round(result.eventsPerSecond), replaySeconds: Number(replaySeconds.toFixed(1)) });
    console.log(`--parallel ${parallel}: ${result.replayed} events replayed in ${replaySeconds.toFixed(1)} s = ${Math.round(result.eventsPerSecond)} events/s (generation ${result.generation})`);
    // Keep memory flat: only the generation just built stays until the next run.
    for (const row of await listGenerations(stores.context.readPostgres, name)) {
      if (row.state === 'retired') await dropGenerationData(stores.context, definition, row.generation, admin);
    }
  }
} finally {
  for (const row of await listGenerations(stores.context.readPostgres, name)) await dropGenerationData(stores.context, definition, row.generation, admin);
  await stores.context.readPostgres.query('DELETE FROM projection_generations WHERE projection = $1', [name]);
  await stores.close();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}
console.log(JSON.stringify({ events, topic, results }, null, 2));
