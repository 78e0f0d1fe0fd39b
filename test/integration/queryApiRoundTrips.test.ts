// GET /orders/:id and GET /customers/:id/orders cost one Redis round trip each, read through the
// live pointer as in production: the query API's commands are counted as Redis runs them
// (MONITOR), not timed. The read models live in a Redis database this test claims, so it can
// own and move their pointers without touching the stack's.
import crypto from 'node:crypto';
import t from 'tap';
import { config } from '../../lib/config.ts';
import type { OrderPlaced } from '../../schemas/generated/eventTypes.ts';
import { customerOrdersProjection } from '../../read-models/customer-orders/projection.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { CUSTOMER_KEY, OTHER_CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';
import { redisCommandCounter } from '../support/redisCommandCounter.ts';
import { claimRedisDatabase } from '../support/redisDatabaseClaim.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('redis');
const database = await claimRedisDatabase(config().redis.url);
const h = await queryApiHarness({ redisUrl: database.url, live: ['order-summary', 'customer-orders'] });
const counter = await redisCommandCounter(database.url, h.connections.redis);
t.teardown(async () => {
  counter.close();
  await h.close();
  await database.release();
});

const stores = [h.store(orderSummaryProjection), h.store(customerOrdersProjection)];
// A database claimed after a crashed run may still hold its pointers: point them here explicitly.
for (const store of stores) await store.activate();

const address = { name: 'Ada Lovelace', line1: '12 St James Sq', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const lines = [{ sku: 'SKU-1', name: 'Teapot', category: 'kitchen', quantity: 2, unitPriceCents: 1999, lineTotalCents: 3998 }];

function placed(customerId: string, occurredAt: number): { type: 'OrderPlaced'; event: OrderPlaced } {
  const orderId = crypto.randomUUID();
  const envelope = { eventId: crypto.randomUUID(), aggregateId: orderId, aggregateVersion: 1, occurredAt, correlationId: 'corr', causationId: null, orderId };
  return { type: 'OrderPlaced', event: { ...envelope, customerId, items: lines, totalCents: 3998, shippingAddress: address } };
}

function shipped(order: OrderPlaced) {
  const envelope = { eventId: crypto.randomUUID(), aggregateId: order.orderId, aggregateVersion: 2, occurredAt: order.occurredAt + 1000, correlationId: 'corr', causationId: null, orderId: order.orderId };
  return { type: 'OrderShipped' as const, event: { ...envelope, customerId: order.customerId, carrier: 'DHL', trackingNumber: 'JD2' } };
}

/** The request's answer and the Redis commands the query API sent for it. */
async function counted(url: string, options: Parameters<typeof h.send>[1] = {}) {
  const { result, commands } = await counter.during(() => h.send(url, options));
  return { response: result, commands: commands.map((command) => command[0]) };
}

const start = Date.now() - 60_000;
const order = placed(h.customerId, start);
// Two orders in one millisecond: the cursor between them is the paging's hardest case.
const list = [order, placed(h.customerId, start + 1), placed(h.customerId, start + 1)];
await h.apply(stores, [...list, shipped(order.event)]);

t.test('GET /orders/:id is one Redis command through the live pointer, whatever the answer', async (t) => {
  const url = `/orders/${order.event.orderId}`;
  const cases = [
    { what: 'an order its customer reads', url, options: { key: CUSTOMER_KEY }, status: 200 },
    { what: 'an order an admin reads', url, options: {}, status: 200 },
    { what: "another customer's order", url, options: { key: OTHER_CUSTOMER_KEY }, status: 404 },
    { what: 'an unknown order', url: `/orders/${crypto.randomUUID()}`, options: {}, status: 404 },
    { what: 'a min-version the read model has', url, options: { headers: { 'x-min-version': '2' } }, status: 200 },
  ];
  for (const { what, url, options, status } of cases) {
    const { response, commands } = await counted(url, options);
    t.equal(response.statusCode, status, `${what}: ${response.body}`);
    t.equal(commands.length, 1, `${what}: one command (${commands.join(', ')})`);
    t.match(commands[0], /^eval(sha)?$/, `${what}: the read script`);
  }
  t.match((await h.send(url)).json(), { orderId: order.event.orderId, status: 'shipped', carrier: 'DHL', version: 2 }, 'the live generation answers');
});

t.test("GET /customers/:id/orders is one Redis command per page, a cursor's page included", async (t) => {
  // Newest first; the two of one millisecond by order id descending (UUIDs: text order is byte order).
  const newestFirst = [list[1], list[2]].map((o) => o?.event.orderId ?? '').sort().reverse().concat(order.event.orderId);
  const first = await counted(`/customers/${h.customerId}/orders?limit=1`, { key: CUSTOMER_KEY });
  t.equal(first.response.statusCode, 200, first.response.body);
  t.equal(first.commands.length, 1, `the first page: one command (${first.commands.join(', ')})`);
  const orderIds: string[] = first.response.json().orders.map((o: { orderId: string }) => o.orderId);
  let cursor: string | null = first.response.json().nextCursor;
  while (cursor) {
    const next = await counted(`/customers/${h.customerId}/orders?limit=1&cursor=${cursor}`, { key: CUSTOMER_KEY });
    t.equal(next.response.statusCode, 200, next.response.body);
    t.equal(next.commands.length, 1, `a cursor's page: one command (${next.commands.join(', ')})`);
    orderIds.push(...next.response.json().orders.map((o: { orderId: string }) => o.orderId));
    cursor = next.response.json().nextCursor;
  }
  t.same(orderIds, newestFirst, 'every order once, newest first, ties by order id descending');
});

t.test("a rebuild's switch of the pointer is seen by the next read, still one command", async (t) => {
  // Generation n+1 holds the order as placed only; the harness generation has it shipped.
  const generation = h.generation + 1;
  const rebuilt = [h.store(orderSummaryProjection, { generation }), h.store(customerOrdersProjection, { generation })];
  await h.apply(rebuilt, [order]);
  const url = `/orders/${order.event.orderId}`;
  t.match((await h.send(url)).json(), { status: 'shipped', version: 2 }, 'before the switch: the old generation');
  for (const store of rebuilt) await store.activate();
  const after = await counted(url);
  t.equal(after.commands.length, 1, 'one command');
  t.match(after.response.json(), { status: 'placed', version: 1, carrier: null }, 'after the switch: the new generation');
  const page = await counted(`/customers/${h.customerId}/orders`);
  t.equal(page.commands.length, 1, 'one command for the list too');
  t.same(page.response.json().orders.map((o: { orderId: string }) => o.orderId), [order.event.orderId], "the new generation's list");
  for (const store of stores) await store.activate();
  t.match((await h.send(url)).json(), { status: 'shipped', version: 2 }, 'switched back: the old generation again');
});
