// Two sources stream side by side: the command API's database and the payments service's, each
// through its own connector and slot. Pausing, deleting or restarting one leaves the other
// streaming, each slot's lag is its own, and after one source was paused for 30 s under load and
// resumed, every read model equals the two write models: zero differences.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t from 'tap';
import { applySource, waitUntilRunning } from '../../connectors/applyConnector.ts';
import { ConnectClient } from '../../connectors/connectClient.ts';
import { sourceNamed } from '../../connectors/sourceConnector.ts';
import { replicationSlotState } from '../../connectors/replicationSlot.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { readOrderSummary } from '../../read-models/order-summary/projection.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';

const cfg = config();
const h = await pipelineHarness(t);
const connect = new ConnectClient({ url: cfg.connect.url });
const ordersSource = sourceNamed(cfg, 'command-api');
const paymentsSource = sourceNamed(cfg, 'payments');
const orders = ordersSource.connector;
const payments = paymentsSource.connector;
const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 1 });
t.teardown(async () => {
  // Whatever happened, both sources stream again for the tests after this one.
  for (const source of ['command-api', 'payments']) await applySource(cfg, source).catch(() => {});
  redis.disconnect();
});

const generation = h.newGeneration();
await h.startWorker({ generation });

async function placeOrder(): Promise<string> {
  const sku = `${h.runId}-sku-${crypto.randomUUID().slice(0, 8)}`;
  const product = await h.send('POST', '/products', { sku, name: 'Kettle', description: 'Boils', category: 'kitchen', brand: 'Acme', priceCents: 2500, initialStock: 5 });
  if (product.status !== 201) throw new Error(`product: ${JSON.stringify(product.body)}`);
  const order = await h.send('POST', '/orders', {
    customerId: `${h.runId}-customer`,
    items: [{ sku, quantity: 1 }],
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
  });
  if (order.status !== 201) throw new Error(`order: ${JSON.stringify(order.body)}`);
  return (order.body as { aggregateId: string }).aggregateId;
}

async function authorize(orderId: string, amountCents = 2500): Promise<void> {
  const reply = await h.send('POST', `/payments/${orderId}/authorize`, { amountCents });
  if (reply.status !== 201) throw new Error(`authorize: ${JSON.stringify(reply.body)}`);
}

const summary = (orderId: string) => readOrderSummary(redis, orderId, { generation });
const projected = (what: string, check: () => Promise<boolean>) => pollUntil(what, async () => ((await check()) ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });

/** A Postgres LSN (`hi/lo`, hexadecimal) as one number. */
function lsn(text: string): bigint {
  const [hi = '0', lo = '0'] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

async function state(name: string): Promise<string | undefined> {
  return (await connect.status(name))?.connector.state;
}

t.test('one source paused for 30 s under load: the other streams, its own slot lag grows, and after resuming there are zero differences', async (t) => {
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands'), payments: 0.3 });
  const loading = load.run(Infinity, 3);
  try {
    await connect.pause(payments.name);
    await pollUntil(`${payments.name} paused`, async () => ((await state(payments.name)) === 'PAUSED' ? true : undefined), { timeoutMs: 30_000 });
    const pausedAt = Date.now();

    const orderId = await placeOrder();
    await authorize(orderId);
    await projected('the order, from the source still streaming', async () => (await summary(orderId))?.version === 1);
    // A paused task keeps its replication connection, so the slots differ in what they confirm.
    const confirmed = async () => Promise.all([paymentsSource, ordersSource].map(async (source) => lsn((await replicationSlotState(cfg, source))?.confirmedFlushLsn ?? '0/0')));
    const [paymentsEarly, ordersEarly] = await confirmed();

    await sleep(Math.max(0, 30_000 - (Date.now() - pausedAt)));
    const [paymentsLate, ordersLate] = await confirmed();
    t.equal(paymentsLate, paymentsEarly, "the paused source's slot confirms nothing new");
    t.ok(ordersLate! > ordersEarly!, "the other source's slot keeps confirming");
    t.equal((await summary(orderId))?.payment, null, 'the payment did not travel while its source was paused');
    const lagBefore = (await replicationSlotState(cfg, paymentsSource))?.lagBytes ?? 0;
    t.ok(lagBefore > 0, `the paused source's slot trails the WAL (${lagBefore} bytes)`);
    t.comment(`${load.tally.sent} commands sent, ${load.tally.payments.size} orders with a payment, while paused`);

    await connect.resume(payments.name);
    await waitUntilRunning(connect, payments.name, { timeoutMs: 60_000 });
    await projected('the payment, once its source resumed', async () => (await summary(orderId))?.payment?.status === 'authorized');
  } finally {
    load.stop();
    await loading;
  }
  t.ok((load.tally.accepted.authorizePayment ?? 0) > 0, 'payments were authorized under load');
  const report = await h.verify(generation);
  t.same(report.differences.slice(0, 10), [], 'no differences after the pause');
  t.equal(report.differences.length, 0);
});

t.test('the other way round, and a connector deleted and applied again: each source streams on its own', async (t) => {
  const orderId = await placeOrder();
  await projected('the order', async () => (await summary(orderId))?.version === 1);

  await connect.pause(orders.name);
  await pollUntil(`${orders.name} paused`, async () => ((await state(orders.name)) === 'PAUSED' ? true : undefined), { timeoutMs: 30_000 });
  await authorize(orderId, 990);
  await projected("the payment, while the command API's source is paused", async () => (await summary(orderId))?.payment?.amountCents === 990);
  const laterOrder = await placeOrder();
  await sleep(2_000);
  t.equal(await summary(laterOrder), undefined, 'an order placed meanwhile waits for its source');
  await connect.resume(orders.name);
  await projected('the later order, once its source resumed', async () => (await summary(laterOrder))?.version === 1);

  await connect.delete(payments.name);
  await pollUntil(`${payments.name} deleted`, async () => ((await connect.status(payments.name)) === undefined ? true : undefined), { timeoutMs: 30_000 });
  const thirdOrder = await placeOrder();
  await authorize(thirdOrder, 1234);
  await projected('an order, while the payments connector does not exist', async () => (await summary(thirdOrder))?.version === 1);
  t.equal((await summary(thirdOrder))?.payment, null);
  t.ok(await replicationSlotState(cfg, paymentsSource), "deleting the connector keeps its slot, so nothing committed meanwhile is lost");

  await applySource(cfg, 'payments');
  await projected('the payment committed while its connector was gone', async () => (await summary(thirdOrder))?.payment?.amountCents === 1234);

  await connect.restart(orders.name, { includeTasks: true, onlyFailed: false });
  await authorize(laterOrder, 4321);
  await projected('a payment, while the other connector restarts', async () => (await summary(laterOrder))?.payment?.amountCents === 4321);
  await waitUntilRunning(connect, orders.name, { timeoutMs: 60_000 });

  const report = await h.verify(generation);
  t.equal(report.differences.length, 0, `zero differences (${JSON.stringify(report.differences.slice(0, 3))})`);
});
