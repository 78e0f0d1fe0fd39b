// order-summary against real Redis: the same events delivered once, every batch twice, or
// replayed from the middle give the same state, and a late older duplicate changes nothing.
import t from 'tap';
import { ORDER_SUMMARY, orderSummaryProjection, readOrderSummary, scanOrderSummaries } from '../../../read-models/order-summary/projection.ts';
import { uniqueName } from '../../support/stack.ts';
import { address, batchesOf, lines, ORDER_TOPIC, OrderEventStream, shopDay } from '../../support/orderEventStream.ts';
import { redisProjectionHarness } from '../../support/redisProjectionHarness.ts';

const harness = await redisProjectionHarness(t);
const { redis } = harness;
const day = shopDay(uniqueName('os'));
const events = day.stream.events;

function eventAt(index: number) {
  const event = events[index];
  if (!event) throw new Error(`the shop day has no event ${index}`);
  return event;
}

async function readAll(generation: number) {
  return Promise.all(day.orders.map((order) => readOrderSummary(redis, order.orderId, { generation })));
}

const once = harness.freshStore(orderSummaryProjection);
await harness.applyAll(once.store, batchesOf(events, 3));
const expectedDump = await harness.dump(ORDER_SUMMARY, once.generation);
const expectedOrders = await readAll(once.generation);

t.test('applied once, the summaries say what happened to each order', async (t) => {
  const [shipped, cancelled, ...sameMs] = expectedOrders;
  t.same(shipped, {
    orderId: day.shipped.orderId,
    customerId: day.shipped.customerId,
    status: 'shipped',
    items: lines,
    totalCents: 4497,
    shippingAddress: { ...address, line2: 'Flat 3' },
    cancelReason: null,
    carrier: 'DHL',
    trackingNumber: 'JD0001',
    placedAt: events[0]?.event.occurredAt,
    updatedAt: (events[0]?.event.occurredAt ?? 0) + 5_000,
    version: 3,
  });
  t.match(cancelled, { status: 'cancelled', cancelReason: 'changed my mind', totalCents: 3998, version: 2, carrier: null });
  t.same(sameMs.map((o) => [o?.status, o?.version, o?.carrier, o?.trackingNumber]), [['placed', 1, null, null], ['shipped', 2, null, null], ['placed', 1, null, null]]);
  t.same(Object.keys(expectedDump).sort(), [`checkpoints:${ORDER_TOPIC}`, ...day.orders.map((o) => `order:${o.orderId}`)].sort());
  t.same(expectedDump[`checkpoints:${ORDER_TOPIC}`], { 0: String(events.length - 1) });
});

t.test('every batch delivered twice gives the same state as once', async (t) => {
  const twice = harness.freshStore(orderSummaryProjection);
  const results = await harness.applyAll(twice.store, batchesOf(events, 3).flatMap((batch) => [batch, batch]));
  t.ok(results.filter((_, i) => i % 2 === 1).every((r) => r.applied === 0 && r.alreadyApplied > 0), 'the second delivery is skipped by the checkpoint');
  t.same(await readAll(twice.generation), expectedOrders);
  t.same(await harness.dump(ORDER_SUMMARY, twice.generation), expectedDump);
});

t.test('a replay from the middle (0..k, then 0..n) gives the same state as once', async (t) => {
  for (const k of [1, 4, events.length - 2]) {
    const replay = harness.freshStore(orderSummaryProjection);
    await harness.applyAll(replay.store, batchesOf(events.slice(0, k + 1), 2));
    await harness.applyAll(replay.store, batchesOf(events, 4));
    t.same(await readAll(replay.generation), expectedOrders, `k = ${k}: readers`);
    t.same(await harness.dump(ORDER_SUMMARY, replay.generation), expectedDump, `k = ${k}: raw keys`);
  }
});

function withoutCheckpoints(dump: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(dump).filter(([key]) => !key.startsWith('checkpoints:')));
}

t.test('every event delivered twice at new offsets (only the version guard can tell) gives the same orders', async (t) => {
  const orders = { 'all, then all again': [...events, ...events], 'each twice in a row': events.flatMap((e) => [e, e]) };
  for (const [delivery, copies] of Object.entries(orders)) {
    const doubled = harness.freshStore(orderSummaryProjection);
    const stream = new OrderEventStream(0, 1_000);
    for (const event of copies) stream.redeliver(event);
    const results = await harness.applyAll(doubled.store, batchesOf(stream.events, 5));
    t.equal(results.reduce((n, r) => n + r.staleOps, 0), events.length, `${delivery}: each second copy is a stale no-op`);
    t.same(await readAll(doubled.generation), expectedOrders, `${delivery}: readers`);
    t.same(withoutCheckpoints(await harness.dump(ORDER_SUMMARY, doubled.generation)), withoutCheckpoints(expectedDump), `${delivery}: raw keys`);
  }
});

t.test('an older event redelivered at a higher offset does not roll an order back', async (t) => {
  const late = harness.freshStore(orderSummaryProjection);
  await harness.applyAll(late.store, batchesOf(events, 3));
  const stream = new OrderEventStream(0, events.length);
  const placedAgain = stream.redeliver(eventAt(0));
  const addressAgain = stream.redeliver(eventAt(2));
  const [result] = await harness.applyAll(late.store, batchesOf(stream.events, 10));
  t.match(result, { applied: 2, staleOps: 2 });
  t.same(await readAll(late.generation), expectedOrders);
  const dump = await harness.dump(ORDER_SUMMARY, late.generation);
  t.same(withoutCheckpoints(dump), withoutCheckpoints(expectedDump));
  t.same(dump[`checkpoints:${ORDER_TOPIC}`], { 0: addressAgain.offset });
  t.equal(placedAgain.offset, String(events.length));
});

t.test('readers: an unknown order, a generation without a pointer, a scan of the generation', async (t) => {
  t.equal(await readOrderSummary(redis, 'no-such-order', { generation: once.generation }), undefined);
  t.equal(await readOrderSummary(redis, day.shipped.orderId, { generation: once.generation + 1 }), undefined);
  const scanned = [];
  for await (const order of scanOrderSummaries(redis, { generation: once.generation, batchSize: 2 })) scanned.push(order);
  const byId = (a: { orderId: string } | undefined, b: { orderId: string } | undefined) => ((a?.orderId ?? '') < (b?.orderId ?? '') ? -1 : 1);
  t.same(scanned.sort(byId), [...expectedOrders].sort(byId));
});
