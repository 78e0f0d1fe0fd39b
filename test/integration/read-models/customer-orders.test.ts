// customer-orders against real Redis: newest-first paging (ties in one millisecond
// included), and the same state whether events come once, twice, or replayed from the middle.
import t from 'tap';
import {
  CUSTOMER_ORDERS,
  customerOrdersProjection,
  readCustomerOrders,
  scanCustomerOrders,
  type CustomerOrderSummary,
} from '../../../read-models/customer-orders/projection.ts';
import { batchesOf, ORDER_TOPIC, OrderEventStream, shopDay } from '../../support/orderEventStream.ts';
import { redisProjectionHarness } from '../../support/redisProjectionHarness.ts';
import { uniqueName } from '../../support/stack.ts';

const harness = await redisProjectionHarness(t);
const { redis } = harness;
const day = shopDay(uniqueName('co'));
const events = day.stream.events;
const [ada, bob] = day.customers as [string, string];
const start = events[0]?.event.occurredAt ?? 0;

/** Every page of every customer, one order at a time, so each cursor is exercised. */
async function readAll(generation: number): Promise<Record<string, CustomerOrderSummary[][]>> {
  const out: Record<string, CustomerOrderSummary[][]> = {};
  for (const customerId of day.customers) {
    const pages: CustomerOrderSummary[][] = [];
    let cursor: string | undefined;
    do {
      const page = await readCustomerOrders(redis, customerId, { limit: 1, generation, ...(cursor ? { cursor } : {}) });
      pages.push(page.orders);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    out[customerId] = pages;
  }
  return out;
}

function withoutCheckpoints(dump: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(dump).filter(([key]) => !key.startsWith('checkpoints:')));
}

const once = harness.freshStore(customerOrdersProjection);
await harness.applyAll(once.store, batchesOf(events, 3));
const expectedDump = await harness.dump(CUSTOMER_ORDERS, once.generation);
const expectedPages = await readAll(once.generation);

t.test('applied once, each customer sees their orders newest first, ties by order id descending', async (t) => {
  const [sameB, sameC, sameA] = day.sameMs.map((o) => o.orderId) as [string, string, string];
  t.same(expectedPages[bob], [
    [{ orderId: sameC, status: 'shipped', totalCents: 4497, itemCount: 2, placedAt: start + 3_000, version: 2 }],
    [{ orderId: sameB, status: 'placed', totalCents: 4497, itemCount: 2, placedAt: start + 3_000, version: 1 }],
    [{ orderId: sameA, status: 'placed', totalCents: 4497, itemCount: 2, placedAt: start + 3_000, version: 1 }],
  ]);
  t.same(expectedPages[ada], [
    [{ orderId: day.cancelled.orderId, status: 'cancelled', totalCents: 3998, itemCount: 1, placedAt: start + 1_000, version: 2 }],
    [{ orderId: day.shipped.orderId, status: 'shipped', totalCents: 4497, itemCount: 2, placedAt: start, version: 3 }],
  ]);
  const whole = await readCustomerOrders(redis, bob, { limit: 10, generation: once.generation });
  t.same(whole, { orders: (expectedPages[bob] ?? []).flat(), nextCursor: null }, 'one page of ten holds all three, no cursor');
  const two = await readCustomerOrders(redis, bob, { limit: 2, generation: once.generation });
  t.equal(two.orders.length, 2);
  const rest = await readCustomerOrders(redis, bob, { limit: 2, generation: once.generation, cursor: two.nextCursor ?? '' });
  t.same(rest.orders.map((o) => o.orderId), [sameA]);
  t.equal(rest.nextCursor, null);
  t.same(expectedDump[`checkpoints:${ORDER_TOPIC}`], { 0: String(events.length - 1) });
});

t.test('every batch delivered twice gives the same state as once', async (t) => {
  const twice = harness.freshStore(customerOrdersProjection);
  await harness.applyAll(twice.store, batchesOf(events, 3).flatMap((batch) => [batch, batch]));
  t.same(await readAll(twice.generation), expectedPages);
  t.same(await harness.dump(CUSTOMER_ORDERS, twice.generation), expectedDump);
});

t.test('a replay from the middle (0..k, then 0..n) gives the same state as once', async (t) => {
  for (const k of [0, 3, events.length - 2]) {
    const replay = harness.freshStore(customerOrdersProjection);
    await harness.applyAll(replay.store, batchesOf(events.slice(0, k + 1), 2));
    await harness.applyAll(replay.store, batchesOf(events, 4));
    t.same(await readAll(replay.generation), expectedPages, `k = ${k}: readers`);
    t.same(await harness.dump(CUSTOMER_ORDERS, replay.generation), expectedDump, `k = ${k}: raw keys`);
  }
});

t.test('every event delivered twice at new offsets gives the same lists and summaries', async (t) => {
  for (const [delivery, copies] of Object.entries({ 'all, then all again': [...events, ...events], 'each twice in a row': events.flatMap((e) => [e, e]) })) {
    const doubled = harness.freshStore(customerOrdersProjection);
    const stream = new OrderEventStream(0, 1_000);
    for (const event of copies) stream.redeliver(event);
    await harness.applyAll(doubled.store, batchesOf(stream.events, 5));
    t.same(await readAll(doubled.generation), expectedPages, `${delivery}: readers`);
    t.same(withoutCheckpoints(await harness.dump(CUSTOMER_ORDERS, doubled.generation)), withoutCheckpoints(expectedDump), `${delivery}: raw keys`);
  }
});

t.test('an older event redelivered at a higher offset does not roll a summary back', async (t) => {
  const late = harness.freshStore(customerOrdersProjection);
  await harness.applyAll(late.store, batchesOf(events, 3));
  const stream = new OrderEventStream(0, events.length);
  for (const event of events.filter((e) => e.type === 'OrderPlaced')) stream.redeliver(event);
  const [result] = await harness.applyAll(late.store, batchesOf(stream.events, 10));
  t.match(result, { applied: 5, staleOps: 5 }, 'the sorted-set adds repeat harmlessly; every summary merge is stale');
  t.same(await readAll(late.generation), expectedPages);
  t.same(withoutCheckpoints(await harness.dump(CUSTOMER_ORDERS, late.generation)), withoutCheckpoints(expectedDump));
});

t.test('cursors: an invalid one is a 400 naming query.cursor; a generation without data is empty', async (t) => {
  for (const cursor of ['not a cursor!', 'bm9jb2xvbg', Buffer.from('12x:order').toString('base64url'), Buffer.from('012:order').toString('base64url')]) {
    await t.rejects(readCustomerOrders(redis, bob, { limit: 2, cursor, generation: once.generation }), {
      code: 'OUTFLOW_ERR_VALIDATION',
      httpStatus: 400,
      fields: [{ field: 'query.cursor' }],
    }, `cursor ${JSON.stringify(cursor)}`);
  }
  await t.rejects(readCustomerOrders(redis, bob, { limit: 0, generation: once.generation }), { code: 'OUTFLOW_ERR_VALIDATION', fields: [{ field: 'query.limit' }] });
  t.same(await readCustomerOrders(redis, bob, { limit: 5, generation: once.generation + 1 }), { orders: [], nextCursor: null });
  t.same(await readCustomerOrders(redis, 'no-such-customer', { limit: 5, generation: once.generation }), { orders: [], nextCursor: null });
});

t.test('scanCustomerOrders lists every customer with all their orders, newest first', async (t) => {
  const scanned: Record<string, CustomerOrderSummary[]> = {};
  for await (const { customerId, orders } of scanCustomerOrders(redis, { generation: once.generation })) scanned[customerId] = orders;
  t.same(scanned, { [ada]: (expectedPages[ada] ?? []).flat(), [bob]: (expectedPages[bob] ?? []).flat() });
});
