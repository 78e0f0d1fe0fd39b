// Poison on the real events.order: raw garbage and a message naming a schema id the registry
// does not have, produced under a real order's key between its events. Both land in
// dlq.order-summary with their reasons; the order's later event is parked behind them; other
// orders on the same partition keep flowing; `outflow dlq skip` brings the order up to date.
// customer-orders parks the key too and is resolved the same way; verify then finds zero
// differences, and the skips are remembered for any later replay of the topic.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Partitioners } from 'kafkajs';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { CUSTOMER_ORDERS, customerOrdersProjection } from '../../read-models/customer-orders/projection.ts';
import { ORDER_SUMMARY, orderSummaryProjection, readOrderSummary } from '../../read-models/order-summary/projection.ts';
import { SALES_REPORT, salesReportProjection } from '../../read-models/sales-report/projection.ts';
import { listParkedKeys } from '../../projectors/runtime/parkedKeysTable.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { TopicReader } from '../support/topicReader.ts';

const h = await pipelineHarness(t);
const ORDER_TOPIC = 'events.order';
const cfg = config();

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), ...args], { cwd: cfg.repoRoot, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The partition the broker's clients (Java and kafkajs alike: murmur2) give a key. */
const partitionOf = (() => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: cfg.events.partitions }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  return (key: string) => partitioner({ topic: ORDER_TOPIC, partitionMetadata, message: { key, value: null } });
})();

t.test('garbage and an unknown schema id under an order key: parked, others flow, skip resolves, zero differences', async (t) => {
  const generation = h.newGeneration();
  const stores = openStoreConnections({ ...cfg, logLevel: 'silent' });
  t.teardown(() => stores.close());
  const { redis, readPostgres } = stores.connections;
  await h.startWorker({ generation, projections: [orderSummaryProjection, customerOrdersProjection, salesReportProjection] });
  const dlq = await TopicReader.start(['dlq.order-summary']);
  t.teardown(() => dlq.close());

  const sku = `${h.runId}-dlq`;
  await h.send('POST', '/products', { sku, name: 'Kettle', description: 'x', category: 'kitchen', brand: 'Acme', priceCents: 3000, initialStock: 50 });
  const order = (customerId: string) =>
    h.send('POST', '/orders', { customerId, items: [{ sku, quantity: 1 }], shippingAddress: { name: 'D', line1: '1 St', city: 'Leeds', postalCode: 'LS1', country: 'GB' } });
  const victim = ((await order(`${h.runId}-victim`)).body as { aggregateId: string }).aggregateId;
  const partition = partitionOf(victim);
  await pollUntil('the order projected', async () => (await readOrderSummary(redis, victim, { generation }))?.version === 1 || undefined, { timeoutMs: 60_000 });

  // Poison under the order's key, where Debezium would put its next event.
  const kafka = kafkaClient(cfg, 'dlq-test', { clientId: 'outflow-dlq-test' });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const unknownSchemaId = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from('body')]);
  unknownSchemaId.writeInt32BE(2_000_000_000, 1);
  const headers = (version: number) => ({ eventId: crypto.randomUUID(), eventType: 'OrderShipped', aggregateVersion: String(version) });
  await producer.send({
    topic: ORDER_TOPIC,
    acks: -1,
    messages: [
      { partition, key: victim, value: Buffer.from('certainly not avro'), headers: headers(2) },
      { partition, key: victim, value: unknownSchemaId, headers: headers(2) },
    ],
  });

  // The order's real next event (version 2) comes after the poison: it must wait behind it.
  t.equal((await h.send('POST', `/orders/${victim}/ship`, { carrier: 'DHL', trackingNumber: 'P1' })).status, 200);
  // Another order on the same partition, placed after all that, must still be applied.
  let neighbour: string | undefined;
  for (let i = 0; i < 200 && !neighbour; i++) {
    const id = ((await order(`${h.runId}-neighbour`)).body as { aggregateId: string }).aggregateId;
    if (partitionOf(id) === partition) neighbour = id;
  }
  t.ok(neighbour, 'an order on the same partition');
  await pollUntil('the neighbour projected', async () => (await readOrderSummary(redis, neighbour!, { generation }))?.version === 1 || undefined, { timeoutMs: 60_000 });

  const parked = await pollUntil('the victim parked with three messages', async () => {
    const row = (await listParkedKeys(readPostgres, ORDER_SUMMARY, generation)).find((p) => p.key === victim);
    return row && row.parkedMessages === 3 ? row : undefined;
  }, { timeoutMs: 60_000 });
  t.match(parked, { topic: ORDER_TOPIC, partition, reason: /OUTFLOW_ERR_NOT_WIRE_FORMAT/ });
  const dlqMessages = (await dlq.waitFor('three DLQ messages', (all) => all.filter((m) => m.key === victim && m.headers.dlqGeneration === String(generation)).length >= 3))
    .filter((m) => m.key === victim && m.headers.dlqGeneration === String(generation));
  t.match(dlqMessages.map((m) => m.headers.dlqReason), [/^OUTFLOW_ERR_NOT_WIRE_FORMAT/, /^parked behind \d+; itself poison: OUTFLOW_ERR_UNKNOWN_SCHEMA_ID/, /^parked behind \d+$/], 'each with its reason');
  t.same(dlqMessages.map((m) => m.headers.dlqOriginalTopic), [ORDER_TOPIC, ORDER_TOPIC, ORDER_TOPIC], 'and where it came from');
  t.match(await readOrderSummary(redis, victim, { generation }), { status: 'placed', version: 1 }, 'the summary is not built past the hole');

  // sales-report reads no OrderShipped: it never decodes messages that claim that type, so it parks nothing.
  t.notOk((await listParkedKeys(readPostgres, SALES_REPORT, generation)).some((p) => p.key === victim), 'sales-report did not park the order');
  // Resolve the parking of every projection that reads OrderShipped: the garbage cannot be fixed, so skip it; then the unknown schema id.
  for (const projection of [ORDER_SUMMARY, CUSTOMER_ORDERS]) {
    await pollUntil(`${projection} parked the victim`, async () => (await listParkedKeys(readPostgres, projection, generation)).some((p) => p.key === victim) || undefined, { timeoutMs: 60_000 });
    const retry = await runCli(['dlq', 'retry', projection, '--key', victim, '--generation', String(generation)]);
    t.equal(retry.code, 1, `${projection}: retry cannot fix garbage`);
    t.match(retry.stdout, /still parked .*OUTFLOW_ERR_NOT_WIRE_FORMAT/);
    const first = await runCli(['dlq', 'skip', projection, '--key', victim, '--yes', '--generation', String(generation)]);
    t.match(first.stdout, /still parked .*OUTFLOW_ERR_UNKNOWN_SCHEMA_ID/, `${projection}: the unknown schema id is next`);
    const second = await runCli(['dlq', 'skip', projection, '--key', victim, '--yes', '--generation', String(generation)]);
    t.equal(second.code, 0, second.stderr);
    t.match(second.stdout, /unparked \(1 applied, 1 dropped\)/, `${projection}: the ship event applied`);
  }
  t.match(await readOrderSummary(redis, victim, { generation }), { status: 'shipped', carrier: 'DHL', version: 2 }, 'the summary is up to date');

  const report = await h.verify(generation, [ORDER_SUMMARY, CUSTOMER_ORDERS, SALES_REPORT]);
  t.same(report.differences.slice(0, 10), [], 'no differences');
  t.equal(report.differences.length, 0);

  // A replay of the topic (a new generation, as a rebuild makes) steps over the skipped messages.
  const replay = h.newGeneration();
  await h.startWorker({ generation: replay, projections: [orderSummaryProjection] });
  const replayed = await h.verify(replay, [ORDER_SUMMARY]);
  t.equal(replayed.differences.length, 0, 'the replay equals the write model');
  t.notOk(replayed.projections[0]?.parkedKeys.includes(victim), 'and did not park the order again');
});
