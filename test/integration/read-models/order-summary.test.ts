// order-summary against real Redis: the same events delivered once, every batch twice, or
// replayed from the middle give the same state, and a late older duplicate changes nothing.
import t from 'tap';
import { ORDER_SUMMARY, orderSummaryProjection, readOrderSummary, scanOrderSummaries } from '../../../read-models/order-summary/projection.ts';
import crypto from 'node:crypto';
import { seededRandom } from '../../../lib/seededRandom.ts';
import type { PartitionBatch, ProjectionEvent } from '../../../projectors/projection.ts';
import type { EventPayloads } from '../../../schemas/generated/eventTypes.ts';
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
    payment: null,
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

// The payment comes from a second source (the payments service's database, events.payment): its
// events and the order's carry no common order, so the summary must come out the same whatever
// the interleaving of the two streams, each stream keeping its own order as its partition does.
const PAYMENT_TOPIC = 'events.payment';

function paymentStream(): ProjectionEvent[] {
  const out: ProjectionEvent[] = [];
  const versions = new Map<string, number>();
  const add = <T extends 'PaymentAuthorized' | 'PaymentCaptured' | 'PaymentRefunded'>(type: T, orderId: string, body: Omit<EventPayloads[T], 'eventId' | 'aggregateId' | 'aggregateVersion' | 'occurredAt' | 'correlationId' | 'causationId' | 'orderId'>) => {
    const version = (versions.get(orderId) ?? 0) + 1;
    versions.set(orderId, version);
    const event = { eventId: crypto.randomUUID(), aggregateId: orderId, aggregateVersion: version, occurredAt: Date.UTC(2024, 4, 1, 9, 30) + out.length, correlationId: 'c', causationId: null, orderId, ...body };
    out.push({ type, event, topic: PAYMENT_TOPIC, partition: 0, offset: String(out.length), key: orderId } as ProjectionEvent);
  };
  add('PaymentAuthorized', day.shipped.orderId, { amountCents: 4497 });
  add('PaymentAuthorized', day.cancelled.orderId, { amountCents: 3998 });
  add('PaymentCaptured', day.shipped.orderId, { amountCents: 4497 });
  add('PaymentCaptured', day.cancelled.orderId, { amountCents: 3998 });
  add('PaymentAuthorized', day.sameMs[0]!.orderId, { amountCents: 4497 });
  add('PaymentRefunded', day.cancelled.orderId, { amountCents: 3998, reason: 'order cancelled' });
  return out;
}

const payments = paymentStream();

/** A random merge of the two streams (each in its own order), cut into single-topic batches of 1 to 3 events. */
function interleaved(random: () => number): PartitionBatch[] {
  const queues = [[...events], [...payments]];
  const batches: PartitionBatch[] = [];
  while (queues.some((q) => q.length)) {
    const open = queues.filter((q) => q.length);
    const queue = open[Math.floor(random() * open.length)]!;
    batches.push(...batchesOf(queue.splice(0, 1 + Math.floor(random() * 3)), 3));
  }
  return batches;
}

t.test('payments from a second source: the summary converges whatever the interleaving with the order stream', async (t) => {
  const reference = harness.freshStore(orderSummaryProjection);
  await harness.applyAll(reference.store, [...batchesOf(events, 3), ...batchesOf(payments, 2)]);
  const expected = await readAll(reference.generation);
  t.same(expected.map((o) => o?.payment), [
    { status: 'captured', amountCents: 4497, refundReason: null, version: 2 },
    { status: 'refunded', amountCents: 3998, refundReason: 'order cancelled', version: 3 },
    { status: 'authorized', amountCents: 4497, refundReason: null, version: 1 },
    null,
    null,
  ]);
  t.same(expected.map((o) => o && { ...o, payment: null }), expectedOrders, 'the order fields are those of the order stream alone');
  const referenceDump = await harness.dump(ORDER_SUMMARY, reference.generation);

  const seed = Number(process.env.OUTFLOW_TEST_INTERLEAVING_SEED ?? Date.now() % 2 ** 31);
  const random = seededRandom(seed);
  for (let round = 0; round < 40; round += 1) {
    const mixed = harness.freshStore(orderSummaryProjection);
    await harness.applyAll(mixed.store, interleaved(random));
    const same = JSON.stringify(await readAll(mixed.generation)) === JSON.stringify(expected) && JSON.stringify(await harness.dump(ORDER_SUMMARY, mixed.generation)) === JSON.stringify(referenceDump);
    if (!same) {
      t.same(await readAll(mixed.generation), expected, `interleaving ${round} (seed ${seed}; OUTFLOW_TEST_INTERLEAVING_SEED repeats it)`);
      return;
    }
    await mixed.store.truncate();
  }
  t.pass(`40 random interleavings (seed ${seed}) gave the same summaries and the same keys`);
});

t.test('a payment applied before its order waits in the hash, unseen, until the order arrives; a redelivered payment changes nothing', async (t) => {
  const early = harness.freshStore(orderSummaryProjection);
  await harness.applyAll(early.store, batchesOf(payments, 6));
  t.equal(await readOrderSummary(redis, day.shipped.orderId, { generation: early.generation }), undefined, 'no order yet: the read says unknown');
  const [result] = await harness.applyAll(early.store, [{ topic: PAYMENT_TOPIC, partition: 0, lastOffset: '6', events: [{ ...payments[0]!, offset: '6' }] }]);
  t.match(result, { applied: 1, staleOps: 1 }, 'the authorization again, at a new offset, is stale against the captured payment');
  await harness.applyAll(early.store, batchesOf(events, 10));
  t.match(await readOrderSummary(redis, day.shipped.orderId, { generation: early.generation }), { status: 'shipped', version: 3, payment: { status: 'captured', version: 2 } });
});
