// GET /orders/:id and GET /customers/:id/orders against real Redis read models, seeded
// through the real order-summary and customer-orders stores in a generation of the test's own.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { OrderPlaced } from '../../schemas/generated/eventTypes.ts';
import { customerOrdersProjection, readCustomerOrders } from '../../read-models/customer-orders/projection.ts';
import { ORDER_SUMMARY, orderSummaryProjection, readOrderSummary } from '../../read-models/order-summary/projection.ts';
import { redisGenerationPrefix } from '../../projectors/stores/redisKeys.ts';
import { CUSTOMER_KEY, OTHER_CUSTOMER_KEY, queryApiHarness, type QueryApiHarness } from '../support/queryApiHarness.ts';
import { uniqueName } from '../support/stack.ts';

const h = await queryApiHarness();
t.teardown(() => h.close());
const stores = [h.store(orderSummaryProjection), h.store(customerOrdersProjection)];

const address = { name: 'Ada Lovelace', line1: '12 St James Sq', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const lines = [{ sku: 'SKU-1', name: 'Teapot', category: 'kitchen', quantity: 2, unitPriceCents: 1999, lineTotalCents: 3998 }];

function envelope(orderId: string, version: number, occurredAt: number) {
  return { eventId: crypto.randomUUID(), aggregateId: orderId, aggregateVersion: version, occurredAt, correlationId: 'corr', causationId: null, orderId };
}

function placed(customerId: string, occurredAt = Date.now()): { type: 'OrderPlaced'; event: OrderPlaced } {
  const orderId = crypto.randomUUID();
  return { type: 'OrderPlaced', event: { ...envelope(orderId, 1, occurredAt), customerId, items: lines, totalCents: 3998, shippingAddress: address } };
}

function shipped(order: OrderPlaced, version: number) {
  return { type: 'OrderShipped' as const, event: { ...envelope(order.orderId, version, order.occurredAt + 1000), customerId: order.customerId, carrier: 'DHL', trackingNumber: `JD${version}` } };
}

function fieldsOf(body: { error: { fields?: { field: string }[] } }): string[] {
  return (body.error.fields ?? []).map((f) => f.field).sort();
}

t.test('an order reads back as the projection wrote it, for its customer and for an admin', async (t) => {
  const order = placed(h.customerId);
  await h.apply(stores, [order]);
  const asCustomer = await h.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY });
  t.equal(asCustomer.statusCode, 200);
  t.match(asCustomer.json(), {
    orderId: order.event.orderId, customerId: h.customerId, status: 'placed', items: lines, totalCents: 3998,
    shippingAddress: address, cancelReason: null, carrier: null, trackingNumber: null, version: 1, placedAt: order.event.occurredAt,
  });
  t.same((await h.send(`/orders/${order.event.orderId}`)).json(), asCustomer.json(), 'an admin key reads any order');
});

t.test('every answer is byte for byte what JSON.stringify gave of the reader\'s value (the response schemas drop nothing)', async (t) => {
  const customer = uniqueName('customer');
  const start = Date.now() - 30_000;
  const [placedOnly, cancelledOne, shippedOne] = [placed(customer, start), placed(customer, start + 1), placed(customer, start + 2)];
  const base = (order: OrderPlaced, version: number) => ({ ...envelope(order.orderId, version, order.occurredAt + version * 1000), customerId: order.customerId });
  await h.apply(stores, [
    placedOnly, cancelledOne, shippedOne,
    { type: 'OrderCancelled', event: { ...base(cancelledOne.event, 2), reason: 'changed my mind', items: lines, totalCents: 3998 } },
    { type: 'ShippingAddressUpdated', event: { ...base(shippedOne.event, 2), shippingAddress: { ...address, line2: 'Flat 3' } } },
    shipped(shippedOne.event, 3),
    // The payments service's events (another source, the payment's own versions).
    { type: 'PaymentAuthorized', event: { ...envelope(cancelledOne.event.orderId, 1, start + 10), amountCents: 3998 } },
    { type: 'PaymentCaptured', event: { ...envelope(cancelledOne.event.orderId, 2, start + 20), amountCents: 3998 } },
    { type: 'PaymentRefunded', event: { ...envelope(cancelledOne.event.orderId, 3, start + 30), amountCents: 3998, reason: 'order cancelled' } },
  ]);
  const generation = { generation: h.generation };
  for (const [what, order] of [['placed: nulls', placedOnly], ['cancelled with a reason', cancelledOne], ['shipped, address line2 set', shippedOne]] as const) {
    const response = await h.send(`/orders/${order.event.orderId}`);
    t.equal(response.statusCode, 200, what);
    t.equal(response.body, JSON.stringify(await readOrderSummary(h.connections.redis, order.event.orderId, generation)), what);
  }
  t.same(JSON.parse((await h.send(`/orders/${shippedOne.event.orderId}`)).body), {
    orderId: shippedOne.event.orderId, customerId: customer, status: 'shipped', items: lines, totalCents: 3998,
    shippingAddress: { ...address, line2: 'Flat 3' }, cancelReason: null, carrier: 'DHL', trackingNumber: 'JD3',
    placedAt: start + 2, updatedAt: start + 2 + 1000, version: 3, payment: null,
  }, 'every field, nested ones included');
  t.same(JSON.parse((await h.send(`/orders/${cancelledOne.event.orderId}`)).body).payment, { amountCents: 3998, refundReason: 'order cancelled', status: 'refunded', version: 3 }, "the payment, from the payments service's events");
  const firstPage = await h.send(`/customers/${customer}/orders?limit=2`);
  const expectedFirst = await readCustomerOrders(h.connections.redis, customer, { limit: 2, ...generation });
  t.equal(firstPage.body, JSON.stringify(expectedFirst), 'a page with a next cursor');
  t.equal(expectedFirst.orders.length, 2);
  const cursor = expectedFirst.nextCursor ?? '';
  const lastPage = await h.send(`/customers/${customer}/orders?limit=2&cursor=${cursor}`);
  t.equal(lastPage.body, JSON.stringify(await readCustomerOrders(h.connections.redis, customer, { limit: 2, cursor, ...generation })), 'the last page (nextCursor null)');
  t.same(JSON.parse(lastPage.body), { orders: [{ orderId: placedOnly.event.orderId, status: 'placed', totalCents: 3998, itemCount: 1, placedAt: start, version: 1 }], nextCursor: null });
});

t.test("another customer's order is 404, like one that does not exist; another customer's list is 403", async (t) => {
  const order = placed(h.customerId);
  await h.apply(stores, [order]);
  const asOther = await h.send(`/orders/${order.event.orderId}`, { key: OTHER_CUSTOMER_KEY });
  t.equal(asOther.statusCode, 404);
  t.equal(asOther.json().error.code, 'OUTFLOW_ERR_NOT_FOUND');
  const unknown = await h.send(`/orders/${crypto.randomUUID()}`, { key: OTHER_CUSTOMER_KEY });
  t.equal(unknown.statusCode, 404);
  t.same(Object.keys(unknown.json().error).sort(), Object.keys(asOther.json().error).sort(), 'the two answers have the same shape');
  const list = await h.send(`/customers/${h.customerId}/orders`, { key: OTHER_CUSTOMER_KEY });
  t.equal(list.statusCode, 403);
  t.equal(list.json().error.code, 'OUTFLOW_ERR_FORBIDDEN');
});

t.test('no key or an unknown key is 401 on every read route', async (t) => {
  for (const url of [`/orders/${crypto.randomUUID()}`, `/customers/${h.customerId}/orders`, '/products/search', '/reports/sales?from=2024-01-01&to=2024-01-31']) {
    const missing = await h.send(url, { key: null });
    t.equal(missing.statusCode, 401, `${url} without a key`);
    t.equal(missing.json().error.code, 'OUTFLOW_ERR_UNAUTHENTICATED');
    t.equal((await h.send(url, { key: 'not-a-key-anyone-configured-0000' })).statusCode, 401, `${url} with an unknown key`);
  }
});

t.test("a customer's orders come newest first, a page at a time", async (t) => {
  const customer = uniqueName('customer');
  const start = Date.now() - 60_000;
  const orders = [placed(customer, start), placed(customer, start + 1), placed(customer, start + 2)];
  await h.apply(stores, orders);
  const newestFirst = orders.map((o) => o.event.orderId).reverse();

  const first = await h.send(`/customers/${customer}/orders?limit=2`);
  t.equal(first.statusCode, 200);
  const page1 = first.json();
  t.same(page1.orders.map((o: { orderId: string }) => o.orderId), newestFirst.slice(0, 2));
  t.match(page1.orders[0], { status: 'placed', totalCents: 3998, itemCount: 1, version: 1 });
  t.type(page1.nextCursor, 'string');
  const second = (await h.send(`/customers/${customer}/orders?limit=2&cursor=${page1.nextCursor}`)).json();
  t.same(second.orders.map((o: { orderId: string }) => o.orderId), newestFirst.slice(2));
  t.equal(second.nextCursor, null);
  t.same((await h.send(`/customers/${customer}/orders`)).json(), { orders: [...page1.orders, ...second.orders], nextCursor: null }, 'limit defaults to 20');
  const mine = placed(h.customerId);
  await h.apply(stores, [mine]);
  const own = await h.send(`/customers/${h.customerId}/orders`, { key: CUSTOMER_KEY });
  t.equal(own.statusCode, 200, 'a customer key reads its own list');
  t.ok(own.json().orders.some((o: { orderId: string }) => o.orderId === mine.event.orderId), 'with its order in it');
});

t.test('bad parameters are 400 naming each field', async (t) => {
  const bad = async (url: string, expected: string[], headers: Record<string, string> = {}) => {
    const response = await h.send(url, { headers });
    t.equal(response.statusCode, 400, url);
    t.equal(response.json().error.code, 'OUTFLOW_ERR_VALIDATION');
    t.same(fieldsOf(response.json()), expected, url);
  };
  const list = `/customers/${h.customerId}/orders`;
  await bad(`${list}?limit=0`, ['querystring.limit']);
  await bad(`${list}?limit=101&cursor=not%20a%20cursor!`, ['querystring.cursor', 'querystring.limit']);
  await bad(`${list}?limit=ten`, ['querystring.limit']);
  await bad(`${list}?cursor=bm90LWEtY3Vyc29y`, ['querystring.cursor']);
  await bad(`${list}?colour=red`, ['querystring.colour']);
  await bad('/orders/not-a-uuid', ['params.id']);
  await bad(`/orders/${crypto.randomUUID()}?minVersion=0`, ['querystring.minVersion']);
  await bad(`/orders/${crypto.randomUUID()}`, ['headers.x-min-version'], { 'x-min-version': 'latest' });
});

/**
 * Counts the query API's reads of one order summary as the Redis server executes them (MONITOR):
 * what shows that a request is waiting, without timing it.
 */
async function watchReads(h: QueryApiHarness, key: string) {
  // monitor() opens a connection of its own; the client it is called on never connects.
  const monitor = await new Redis(h.config.redis.url, { lazyConnect: true }).monitor();
  let reads = 0;
  const seen = new Set<string>();
  // Commands a Lua script runs (the store's apply) come with source "lua"; the reader's are plain HGETALLs.
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args[0]?.toLowerCase() === 'hgetall' && args[1] === key) reads += 1;
    if (args[0]?.toLowerCase() === 'echo' && args[1]) seen.add(args[1]);
  });
  return {
    /** Reads counted so far, once every command sent before this call has reached the monitor. */
    async count(): Promise<number> {
      // MONITOR reports commands in the order Redis ran them: once our marker is in, every earlier read is.
      const marker = `watch-reads-${crypto.randomUUID()}`;
      await h.connections.redis.echo(marker);
      await pollUntil('the monitor caught up', async () => (seen.has(marker) ? true : undefined), { timeoutMs: 30_000, intervalMs: 5 });
      return reads;
    },
    close: () => monitor.disconnect(),
  };
}

t.test('X-Min-Version waits until the projection reaches the version, then answers it', async (t) => {
  // A deadline no request reaches here: the answer must come from the projection catching up.
  const patient = await queryApiHarness({ minVersionTimeoutMs: 120_000 });
  t.teardown(() => patient.close());
  const patientStores = [patient.store(orderSummaryProjection), patient.store(customerOrdersProjection)];
  const order = placed(patient.customerId);
  await patient.apply(patientStores, [order]);
  const reads = await watchReads(patient, `${redisGenerationPrefix(ORDER_SUMMARY, patient.generation)}order:${order.event.orderId}`);
  t.teardown(() => reads.close());

  let settled = false;
  const waiting = patient.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY, headers: { 'x-min-version': '2' } }).finally(() => (settled = true));
  // Two reads of version 1: the request saw the old version and is polling for the new one.
  await pollUntil('the request read version 1 and reads again', async () => ((await reads.count()) >= 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 5 });
  t.notOk(settled, 'no answer while the read model has version 1');
  // The projection catches up while the request is waiting.
  await patient.apply(patientStores, [shipped(order.event, 2)]);
  const response = await waiting;
  t.equal(response.statusCode, 200, response.body);
  t.match(response.json(), { version: 2, status: 'shipped', carrier: 'DHL', trackingNumber: 'JD2' });

  const readsBefore = await reads.count();
  const viaQuery = await patient.send(`/orders/${order.event.orderId}?minVersion=2`, { key: CUSTOMER_KEY });
  t.equal(viaQuery.statusCode, 200, viaQuery.body);
  t.equal(viaQuery.json().version, 2, '?minVersion= works too');
  t.equal((await reads.count()) - readsBefore, 1, 'a version already reached is answered from the first read, at once');
});

t.test('X-Min-Version that is not reached in time is 409 with the version the read model has', async (t) => {
  // A short deadline: the outcome at the deadline is what is checked, not how long it took.
  const impatient = await queryApiHarness({ minVersionTimeoutMs: 50 });
  t.teardown(() => impatient.close());
  const impatientStores = [impatient.store(orderSummaryProjection), impatient.store(customerOrdersProjection)];
  const order = placed(impatient.customerId);
  await impatient.apply(impatientStores, [order, shipped(order.event, 2)]);
  const stale = await impatient.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY, headers: { 'x-min-version': '5' } });
  t.equal(stale.statusCode, 409);
  t.match(stale.json().error, { code: 'OUTFLOW_ERR_STALE_READ', details: { requestedVersion: 5, currentVersion: 2 } });
  const reached = await impatient.send(`/orders/${order.event.orderId}`, { key: CUSTOMER_KEY, headers: { 'x-min-version': '2' } });
  t.equal(reached.statusCode, 200, 'the same deadline is no obstacle for a version the read model has');
  t.equal(reached.json().version, 2);

  const absent = await impatient.send(`/orders/${crypto.randomUUID()}`, { headers: { 'x-min-version': '1' } });
  t.equal(absent.statusCode, 409, 'an order still absent at the deadline is 409, not 404');
  t.match(absent.json().error, { code: 'OUTFLOW_ERR_STALE_READ', details: { requestedVersion: 1, currentVersion: 0 } });
  const othersOrder = await impatient.send(`/orders/${order.event.orderId}`, { key: OTHER_CUSTOMER_KEY, headers: { 'x-min-version': '1' } });
  t.equal(othersOrder.statusCode, 409);
  t.match(othersOrder.json().error, { code: 'OUTFLOW_ERR_STALE_READ', details: { currentVersion: 0 } }, "another customer's order looks absent");
});
