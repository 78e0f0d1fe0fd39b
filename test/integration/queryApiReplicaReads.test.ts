// The query API on a Redis Cluster reading from the replicas (OUTFLOW_REDIS_READ_FROM=replica):
// its one-script reads run on replica nodes, and X-Min-Version still holds there: a request for a
// version the replica does not have yet waits for it, or is 409 at its deadline; never an older
// version presented as the one asked for.
import crypto from 'node:crypto';
import t from 'tap';
import type { Cluster, Redis } from 'ioredis';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { OrderPlaced } from '../../schemas/generated/eventTypes.ts';
import { customerOrdersProjection } from '../../read-models/customer-orders/projection.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';

const REPLICA_READS = { OUTFLOW_REDIS_LAYOUT: 'cluster', OUTFLOW_REDIS_READ_FROM: 'replica' };
const address = { name: 'Ada Lovelace', line1: '12 St James Sq', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const lines = [{ sku: 'SKU-1', name: 'Teapot', category: 'kitchen', quantity: 2, unitPriceCents: 1999, lineTotalCents: 3998 }];

function envelope(orderId: string, version: number, occurredAt: number) {
  return { eventId: crypto.randomUUID(), aggregateId: orderId, aggregateVersion: version, occurredAt, correlationId: 'corr', causationId: null, orderId };
}

function placed(customerId: string): { type: 'OrderPlaced'; event: OrderPlaced } {
  const orderId = crypto.randomUUID();
  return { type: 'OrderPlaced', event: { ...envelope(orderId, 1, Date.now()), customerId, items: lines, totalCents: 3998, shippingAddress: address } };
}

function shipped(order: OrderPlaced, version: number) {
  return { type: 'OrderShipped' as const, event: { ...envelope(order.orderId, version, order.occurredAt + 1000), customerId: order.customerId, carrier: 'DHL', trackingNumber: `JD${version}` } };
}

/** Reads (HGETALL and scripts) each replica of the cluster ran so far (INFO commandstats), summed. */
async function readsOnReplicas(redis: Cluster): Promise<number> {
  let total = 0;
  for (const node of redis.nodes('slave') as Redis[]) {
    const stats = await node.info('commandstats');
    for (const match of stats.matchAll(/cmdstat_(?:hgetall|evalsha|evalsha_ro|eval|eval_ro):calls=(\d+)/g)) total += Number(match[1]);
  }
  return total;
}

t.test('GET /orders/:id and /customers/:id/orders are read on replicas', async (t) => {
  const h = await queryApiHarness({ env: REPLICA_READS });
  t.teardown(() => h.close());
  const redis = h.connections.redis as Cluster;
  t.ok(redis.isCluster, 'the query API reads a cluster');
  const stores = [h.store(orderSummaryProjection), h.store(customerOrdersProjection)];
  const order = placed(h.customerId);
  await h.apply(stores, [order]);
  // A cluster just formed converges on who serves what for a few seconds, and ioredis learns its
  // replicas from the slot map: first a read that lands on a replica (it never does when the query
  // API reads from primaries).
  await pollUntil('a read served by a replica', async () => {
    const start = await readsOnReplicas(redis);
    await h.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY });
    return (await readsOnReplicas(redis)) > start ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  // The stores' writes are on a replica once applyBatch returns (WAIT), so a replica read finds them.
  const before = await readsOnReplicas(redis);
  const summary = await h.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY });
  t.equal(summary.statusCode, 200, summary.body);
  t.match(summary.json(), { orderId: order.event.orderId, version: 1, status: 'placed' });
  const list = await h.send(`/customers/${h.customerId}/orders`, { key: CUSTOMER_KEY });
  t.equal(list.statusCode, 200, list.body);
  t.same(list.json().orders.map((o: { orderId: string }) => o.orderId), [order.event.orderId]);
  t.ok((await readsOnReplicas(redis)) - before >= 2, 'both reads ran on replicas');
});

t.test('X-Min-Version on replica reads: waits for the version, then answers it; 409 at the deadline', async (t) => {
  const patient = await queryApiHarness({ env: REPLICA_READS, minVersionTimeoutMs: 120_000 });
  t.teardown(() => patient.close());
  const stores = [patient.store(orderSummaryProjection), patient.store(customerOrdersProjection)];
  const order = placed(patient.customerId);
  await patient.apply(stores, [order]);
  let settled = false;
  const waiting = patient.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY, headers: { 'x-min-version': '2' } }).finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.notOk(settled, 'no answer while the replicas have version 1');
  await patient.apply(stores, [shipped(order.event, 2)]);
  const response = await waiting;
  t.equal(response.statusCode, 200, response.body);
  t.match(response.json(), { version: 2, status: 'shipped', trackingNumber: 'JD2' });

  const impatient = await queryApiHarness({ env: REPLICA_READS, minVersionTimeoutMs: 50 });
  t.teardown(() => impatient.close());
  const other = placed(impatient.customerId);
  await impatient.apply([impatient.store(orderSummaryProjection)], [other]);
  const stale = await impatient.send(`/orders/${other.event.orderId}`, { key: CUSTOMER_KEY, headers: { 'x-min-version': '5' } });
  t.equal(stale.statusCode, 409, 'a version the replicas never reach: 409, not version 1');
  t.match(stale.json(), { error: { code: 'OUTFLOW_ERR_STALE_READ' } });
});
