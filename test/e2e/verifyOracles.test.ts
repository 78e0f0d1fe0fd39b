// verify is the oracle most e2e and chaos tests rest on; here it is shown to catch what it
// claims. A generation of every read model is built and found equal to the write model; then
// each projection's store is damaged by hand in every way verify knows (an entity missing, one
// only the read model has, a field that differs, and a damaged entity whose key is parked) and
// verify must report exactly those differences among this test's entities: no fewer (a check
// that returned nothing would fail here) and no more. The worker keeps running (verify waits
// for it to catch up), but no event of this test's entities follows the damage, so nothing
// repairs it.
import { Redis } from 'ioredis';
import pg from 'pg';
import t from 'tap';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { config } from '../../lib/config.ts';
import { CUSTOMER_ORDERS } from '../../read-models/customer-orders/projection.ts';
import { ORDER_SUMMARY } from '../../read-models/order-summary/projection.ts';
import { PRODUCT_SEARCH } from '../../read-models/product-search/projection.ts';
import { SALES_REPORT } from '../../read-models/sales-report/projection.ts';
import { parkKey } from '../../projectors/runtime/parkedKeysTable.ts';
import { elasticsearchIndexOf } from '../../projectors/stores/elasticsearchLayout.ts';
import { postgresTableName } from '../../projectors/stores/postgresStore.ts';
import { redisGenerationPrefix } from '../../projectors/stores/redisKeys.ts';
import type { Difference } from '../../projectors/verification/difference.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';

const h = await pipelineHarness(t);
const generation = h.newGeneration();
await h.startWorker({ generation });
const cfg = config();
const redis = new Redis(cfg.redis.url);
const readPostgres = new pg.Pool({ ...cfg.readModel.postgres, max: 2 });
const es = new ElasticsearchClient({ node: cfg.elasticsearch.url });
t.teardown(async () => {
  redis.disconnect();
  await readPostgres.end();
  await es.close();
});

const address = { name: 'O', line1: '1 Oracle St', city: 'Leeds', postalCode: 'LS1', country: 'GB' };
const skus = [`${h.runId}-a`, `${h.runId}-b`, `${h.runId}-c`, `${h.runId}-d`] as const;
// Each product in its own category, so each sales day/category row holds this run's orders only.
const categoryOf = (sku: string) => `oracle-${h.runId}-${sku.slice(-1)}`;
for (const sku of skus) {
  const created = await h.send('POST', '/products', { sku, name: `Oracle ${sku}`, description: 'x', category: categoryOf(sku), brand: 'Acme', priceCents: 1000, initialStock: 50 });
  if (created.status !== 201) throw new Error(`creating ${sku} answered ${created.status}`);
}
const customers = [`${h.runId}-c1`, `${h.runId}-c2`, `${h.runId}-c3`] as const;
/** Orders by customer: c1 has two (for the newest-first check), c2 and c3 one each. */
const orders: { id: string; customer: string; sku: string }[] = [];
for (const [customer, sku] of [[customers[0], skus[0]], [customers[0], skus[1]], [customers[1], skus[2]], [customers[2], skus[3]]] as const) {
  const placed = await h.send('POST', '/orders', { customerId: customer, items: [{ sku, quantity: 2 }], shippingAddress: address });
  if (placed.status !== 201) throw new Error(`placing an order answered ${placed.status}`);
  orders.push({ id: (placed.body as { aggregateId: string }).aggregateId, customer, sku });
}
const [o1, o2, o3, o4] = orders as [(typeof orders)[0], (typeof orders)[0], (typeof orders)[0], (typeof orders)[0]];

const ownIds = (d: Difference) => d.id.includes(h.runId) || orders.some((o) => d.id.includes(o.id));

/** The differences verify reports for one projection about this test's entities, in a stable order, without the values. */
async function reported(projection: string): Promise<Partial<Difference>[]> {
  const report = await h.verify(generation, [projection]);
  return report.differences
    .filter(ownIds)
    .map((d) => ({ entity: d.entity, id: d.id, kind: d.kind, ...(d.field ? { field: d.field } : {}), ...(d.parked ? { parked: true } : {}) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
const sorted = (list: Partial<Difference>[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function park(projection: string, key: string): Promise<void> {
  await parkKey(readPostgres, { projection, generation, key, topic: 'events.order', partition: 0, offset: '0', reason: 'planted by the oracle test', dlqOffset: '0' });
}

t.test('before any damage, the generation equals the write model', async (t) => {
  const report = await h.verify(generation);
  t.same(report.differences, []);
  t.ok(report.writeModel.orders >= orders.length, "this test's orders were compared");
});

t.test('order-summary: missing, unexpected, mismatch and parked are each reported exactly', async (t) => {
  const prefix = redisGenerationPrefix(ORDER_SUMMARY, generation);
  const stored = await redis.hgetall(`${prefix}order:${o2.id}`);
  t.equal(stored.orderId, o2.id, 'the layout this test damages is the one the projection writes');
  await redis.del(`${prefix}order:${o1.id}`);
  await redis.hset(`${prefix}order:${h.runId}-ghost`, { ...stored, orderId: `${h.runId}-ghost` });
  await redis.hset(`${prefix}order:${o2.id}`, 'status', 'shipped');
  await redis.hset(`${prefix}order:${o3.id}`, 'totalCents', '1');
  await park(ORDER_SUMMARY, o3.id);
  t.same(
    await reported(ORDER_SUMMARY),
    sorted([
      { entity: 'order', id: o1.id, kind: 'missing' },
      { entity: 'order', id: `${h.runId}-ghost`, kind: 'unexpected' },
      { entity: 'order', id: o2.id, kind: 'mismatch', field: 'status' },
      { entity: 'order', id: o3.id, kind: 'mismatch', field: 'totalCents', parked: true },
    ]),
  );
});

t.test('customer-orders: missing and unexpected customers and orders, mismatches, order and parked are each reported exactly', async (t) => {
  const prefix = redisGenerationPrefix(CUSTOMER_ORDERS, generation);
  const [c1, c2, c3] = customers;
  const listKey = (c: string) => `${prefix}customer:{${c}}:orders`;
  const summaryKey = (c: string) => `${prefix}customer:{${c}}:summaries`;
  t.same((await redis.zrange(listKey(c1), 0, -1)).sort(), [o1.id, o2.id].sort(), 'the layout this test damages is the one the projection writes');
  // c1: newest first broken (the listed order, which verify found right, turned round) and
  // o2's summary damaged and parked.
  const [newest, , older, olderScore] = await redis.zrevrange(listKey(c1), 0, -1, 'WITHSCORES');
  await redis.zadd(listKey(c1), Number(olderScore) - 60_000, newest!);
  t.ok(older, 'c1 lists two orders');
  const o2Summary = JSON.parse((await redis.hget(summaryKey(c1), o2.id))!) as Record<string, unknown>;
  await redis.hset(summaryKey(c1), o2.id, JSON.stringify({ ...o2Summary, totalCents: 1 }));
  await park(CUSTOMER_ORDERS, o2.id);
  // c2: its only order gone from the list (the customer itself stays: it has a list entry left below).
  await redis.zadd(listKey(c2), 1, `${h.runId}-ghost-order`);
  await redis.hset(summaryKey(c2), `${h.runId}-ghost-order`, JSON.stringify({ orderId: `${h.runId}-ghost-order`, status: 'placed', totalCents: 1, itemCount: 1, placedAt: 1, version: 1 }));
  await redis.zrem(listKey(c2), o3.id);
  // c3: gone altogether; and a customer only the read model has.
  await redis.del(listKey(c3), summaryKey(c3));
  await redis.zadd(listKey(`${h.runId}-ghost-customer`), 1, o4.id);
  t.same(
    await reported(CUSTOMER_ORDERS),
    sorted([
      { entity: 'customer', id: c1, kind: 'mismatch', field: 'newestFirst' },
      { entity: 'customer-order', id: `${c1}/${o2.id}`, kind: 'mismatch', field: 'totalCents', parked: true },
      { entity: 'customer-order', id: `${c2}/${o3.id}`, kind: 'missing' },
      { entity: 'customer-order', id: `${c2}/${h.runId}-ghost-order`, kind: 'unexpected' },
      { entity: 'customer', id: c3, kind: 'missing' },
      { entity: 'customer', id: `${h.runId}-ghost-customer`, kind: 'unexpected' },
    ]),
  );
});

t.test('product-search: missing, unexpected, mismatch and parked are each reported exactly', async (t) => {
  const index = elasticsearchIndexOf(PRODUCT_SEARCH, generation);
  const [a, b, c] = skus;
  const stored = await es.get<Record<string, unknown>>({ index, id: b });
  t.equal(stored._source?.sku, b, 'the layout this test damages is the one the projection writes');
  await es.delete({ index, id: a, refresh: true });
  await es.index({ index, id: `${h.runId}-ghost`, document: { ...stored._source, sku: `${h.runId}-ghost` }, refresh: true });
  await es.update({ index, id: b, doc: { priceCents: 1 }, refresh: true });
  await es.update({ index, id: c, doc: { name: 'Renamed by hand' }, refresh: true });
  await park(PRODUCT_SEARCH, c);
  t.same(
    await reported(PRODUCT_SEARCH),
    sorted([
      { entity: 'product', id: a, kind: 'missing' },
      { entity: 'product', id: `${h.runId}-ghost`, kind: 'unexpected' },
      { entity: 'product', id: b, kind: 'mismatch', field: 'priceCents' },
      { entity: 'product', id: c, kind: 'mismatch', field: 'name', parked: true },
    ]),
  );
});

t.test('sales-report: missing, unexpected and mismatched orders and day rows, and parked, are each reported exactly', async (t) => {
  const ordersTable = postgresTableName(SALES_REPORT, generation, 'orders');
  const dailyTable = postgresTableName(SALES_REPORT, generation, 'daily');
  const counted = await readPostgres.query<{ order_id: string }>(`SELECT order_id FROM ${ordersTable} WHERE order_id = ANY($1)`, [orders.map((o) => o.id)]);
  t.equal(counted.rowCount, 4, 'the layout this test damages is the one the projection writes');
  const { rows: days } = await readPostgres.query<{ order_id: string; day: string }>(`SELECT order_id, to_char(day, 'YYYY-MM-DD') AS day FROM ${ordersTable} WHERE order_id = ANY($1)`, [orders.map((o) => o.id)]);
  const dayOf = (orderId: string) => days.find((d) => d.order_id === orderId)!.day;
  await readPostgres.query(`DELETE FROM ${ordersTable} WHERE order_id = $1`, [o1.id]);
  await readPostgres.query(`INSERT INTO ${ordersTable} (order_id, day, contributions) VALUES ($1, $2::date, '[]'::jsonb)`, [`${h.runId}-ghost`, dayOf(o1.id)]);
  await readPostgres.query(`UPDATE ${ordersTable} SET cancelled = true WHERE order_id = $1`, [o2.id]);
  await readPostgres.query(`UPDATE ${ordersTable} SET cancelled = true WHERE order_id = $1`, [o3.id]);
  await park(SALES_REPORT, o3.id);
  // Day rows: o1's category doubled; o4's category gone (each category holds one order of this run).
  await readPostgres.query(`UPDATE ${dailyTable} SET revenue_cents = revenue_cents * 2 WHERE category = $1`, [categoryOf(o1.sku)]);
  await readPostgres.query(`DELETE FROM ${dailyTable} WHERE category = $1`, [categoryOf(o4.sku)]);
  const dayId = (order: { id: string; sku: string }) => `${dayOf(order.id)}/${categoryOf(order.sku)}`;
  t.same(
    await reported(SALES_REPORT),
    sorted([
      { entity: 'sales-order', id: o1.id, kind: 'missing' },
      { entity: 'sales-order', id: `${h.runId}-ghost`, kind: 'unexpected' },
      { entity: 'sales-order', id: o2.id, kind: 'mismatch', field: 'cancelled' },
      { entity: 'sales-order', id: o3.id, kind: 'mismatch', field: 'cancelled', parked: true },
      { entity: 'sales-day', id: dayId(o1), kind: 'mismatch', field: 'revenueCents' },
      { entity: 'sales-day', id: dayId(o4), kind: 'missing' },
    ]),
  );
});
