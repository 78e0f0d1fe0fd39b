// sales-report against the real read-model Postgres: orders placed and cancelled across two
// UTC days and two categories give the right totals, however often each batch or event comes;
// the query role reads the tables and views with SELECT alone.
import crypto from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import t from 'tap';
import { config } from '../../../lib/config.ts';
import { ProjectionHandlerFailed } from '../../../lib/errors.ts';
import { readSalesDailyRows, readSalesOrders, readSalesReport, SALES_REPORT, salesReportProjection } from '../../../read-models/sales-report/projection.ts';
import { livePostgresGeneration, PostgresProjectionStore, renamedPostgresProjection, postgresTableName, postgresViewName, type AppliedPgBatch, type PostgresProjectionDefinition } from '../../../projectors/stores/postgresStore.ts';
import type { PartitionBatch } from '../../../projectors/projection.ts';
import type { OrderLine } from '../../../schemas/generated/eventTypes.ts';
import { address, batchesOf, OrderEventStream } from '../../support/orderEventStream.ts';
import { ensureStack } from '../../support/stack.ts';

await ensureStack('postgres-read');
const base = config();
const r = base.readModel.postgres;
const projectorPool = new pg.Pool({ host: r.host, port: r.port, database: r.database, user: r.user, password: r.password });
const queryPool = new pg.Pool({ host: r.host, port: r.port, database: r.database, user: r.queryUser, password: r.queryPassword });
// The store uses neither; real clients that never connect here.
const redis = new Redis(base.redis.url, { lazyConnect: true });
const elasticsearch = new ElasticsearchClient({ node: base.elasticsearch.url });
const stores: PostgresProjectionStore[] = [];
t.teardown(async () => {
  for (const store of stores) await store.truncate();
  await projectorPool.end();
  await queryPool.end();
  redis.disconnect();
  await elasticsearch.close();
});

async function freshStore(generation = crypto.randomInt(1_000_000, 2 ** 31), definition: PostgresProjectionDefinition<'daily' | 'orders'> = salesReportProjection) {
  const store = definition.createStore({ config: { ...base, logLevel: 'silent' }, redis, elasticsearch, readPostgres: projectorPool }, generation);
  if (!(store instanceof PostgresProjectionStore)) throw new Error('sales-report is not a Postgres projection');
  stores.push(store);
  await store.init();
  return { store, generation };
}

async function applyAll(store: PostgresProjectionStore, batches: readonly PartitionBatch[]): Promise<AppliedPgBatch[]> {
  const results: AppliedPgBatch[] = [];
  for (const batch of batches) results.push(await store.applyBatch(batch));
  return results;
}

const line = (category: string, quantity: number, unitPriceCents: number): OrderLine => ({
  sku: `${category}-${unitPriceCents}`, name: category, category, quantity, unitPriceCents, lineTotalCents: quantity * unitPriceCents,
});
const run = crypto.randomBytes(3).toString('hex');
const order = (name: string) => ({ orderId: `order-${name}-${run}`, customerId: `customer-${run}` });
const [a, b, c, d, never] = ['a', 'b', 'c', 'd', 'never'].map(order) as [ReturnType<typeof order>, ReturnType<typeof order>, ReturnType<typeof order>, ReturnType<typeof order>, ReturnType<typeof order>];
const may1 = Date.UTC(2024, 4, 1);
const may2 = Date.UTC(2024, 4, 2);
const placed = (items: OrderLine[]) => ({ items, totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0), shippingAddress: address });

const stream = new OrderEventStream();
stream.add('OrderPlaced', b, may1 + 10 * 3_600_000, placed([line('kitchen', 1, 499)]));
stream.add('OrderPlaced', a, may2 - 1, placed([line('kitchen', 2, 1999), line('garden', 1, 500)])); // 23:59:59.999 is still May 1
stream.add('OrderPlaced', c, may2, placed([line('garden', 3, 1000)]));
stream.add('ShippingAddressUpdated', a, may2 + 1_000, { shippingAddress: { ...address, line2: 'Flat 3' } });
stream.add('OrderPlaced', d, may2 + 12 * 3_600_000, placed([line('kitchen', 1, 1999), line('garden', 1, 1000)]));
const cancelB = stream.add('OrderCancelled', b, may2 + 13 * 3_600_000, { reason: null, items: [line('kitchen', 1, 499)], totalCents: 499 });
stream.add('OrderShipped', d, may2 + 14 * 3_600_000, { carrier: 'DHL', trackingNumber: null });
stream.add('OrderCancelled', never, may2 + 15 * 3_600_000, { reason: null, items: [line('kitchen', 9, 100)], totalCents: 900 });
const events = stream.events;

const range = { from: '2024-05-01', to: '2024-05-02' };
async function reports(generation: number) {
  return {
    byDay: await readSalesReport(queryPool, { ...range, groupBy: 'day', generation }),
    byCategory: await readSalesReport(queryPool, { ...range, groupBy: 'category', generation }),
  };
}
async function raw(generation: number) {
  return { daily: await readSalesDailyRows(queryPool, { generation }), orders: await readSalesOrders(queryPool, { generation }) };
}

const once = await freshStore();
await applyAll(once.store, batchesOf(events, 3));
const expectedReports = await reports(once.generation);
const expectedRaw = await raw(once.generation);

t.test('placed and cancelled orders across two days and categories: the right totals', async (t) => {
  t.same(expectedReports.byDay, {
    ...range, groupBy: 'day',
    rows: [{ day: '2024-05-01', revenueCents: 4498, units: 3 }, { day: '2024-05-02', revenueCents: 5999, units: 5 }],
    totals: { revenueCents: 10497, units: 8 },
  });
  t.same(expectedReports.byCategory.rows, [{ category: 'garden', revenueCents: 4500, units: 5 }, { category: 'kitchen', revenueCents: 5997, units: 3 }]);
  t.same(expectedReports.byCategory.totals, { revenueCents: 10497, units: 8 });
  t.same(expectedRaw.daily, [
    { day: '2024-05-01', category: 'garden', revenueCents: 500, units: 1, orders: 1 },
    { day: '2024-05-01', category: 'kitchen', revenueCents: 3998, units: 2, orders: 1 },
    { day: '2024-05-02', category: 'garden', revenueCents: 4000, units: 4, orders: 2 },
    { day: '2024-05-02', category: 'kitchen', revenueCents: 1999, units: 1, orders: 1 },
  ]);
  t.same(expectedRaw.orders.map((o) => [o.orderId, o.day, o.cancelled]).sort(), [
    [a.orderId, '2024-05-01', false], [b.orderId, '2024-05-01', true], [c.orderId, '2024-05-02', false], [d.orderId, '2024-05-02', false],
  ].sort(), 'a cancellation of an order never counted is not recorded');
  t.same(await readSalesReport(queryPool, { from: '2024-05-02', to: '2024-05-02', groupBy: 'category', generation: once.generation }), {
    from: '2024-05-02', to: '2024-05-02', groupBy: 'category',
    rows: [{ category: 'garden', revenueCents: 4000, units: 4 }, { category: 'kitchen', revenueCents: 1999, units: 1 }],
    totals: { revenueCents: 5999, units: 5 },
  });
  t.same(await once.store.readCheckpoints('events.order'), new Map([[0, String(events.length - 1)]]));
});

t.test('every batch delivered twice gives the same state as once', async (t) => {
  const twice = await freshStore();
  const results = await applyAll(twice.store, batchesOf(events, 3).flatMap((batch) => [batch, batch]));
  t.ok(results.filter((_, i) => i % 2 === 1).every((x) => x.applied === 0 && x.alreadyApplied > 0), 'the second delivery is skipped by the checkpoint');
  t.same(await reports(twice.generation), expectedReports);
  t.same(await raw(twice.generation), expectedRaw);
});

t.test('a replay from the middle (0..k, then all) gives the same state as once', async (t) => {
  for (const k of [0, 3, events.length - 2]) {
    const replay = await freshStore();
    await applyAll(replay.store, batchesOf(events.slice(0, k + 1), 2));
    await applyAll(replay.store, batchesOf(events, 4));
    t.same(await reports(replay.generation), expectedReports, `k = ${k}: reports`);
    t.same(await raw(replay.generation), expectedRaw, `k = ${k}: rows`);
  }
});

t.test('every event again at new offsets: a second placement adds nothing, a second cancellation subtracts nothing', async (t) => {
  const doubled = await freshStore();
  const copies = new OrderEventStream();
  for (const event of events) {
    copies.redeliver(event);
    copies.redeliver(event);
  }
  await applyAll(doubled.store, batchesOf(copies.events, 5));
  t.same(await reports(doubled.generation), expectedReports);
  t.same(await raw(doubled.generation), expectedRaw);

  const late = new OrderEventStream(0, copies.events.length);
  late.redeliver(cancelB);
  await applyAll(doubled.store, batchesOf(late.events, 1));
  t.same(await raw(doubled.generation), expectedRaw, 'the cancellation delivered a third time still subtracted once');
});

t.test('the batch handler: the whole stream, twice over, in one chunk gives the state of one event at a time', async (t) => {
  const whole = await freshStore();
  const copies = new OrderEventStream();
  for (const event of [...events, ...events]) copies.redeliver(event);
  await applyAll(whole.store, batchesOf(copies.events, copies.events.length));
  t.same(await reports(whole.generation), expectedReports);
  t.same(await raw(whole.generation), expectedRaw);
});

t.test('the batch handler keeps the log order where it matters: a cancellation before the order is placed, in one chunk', async (t) => {
  const early = order('early');
  const stream = new OrderEventStream();
  stream.add('OrderCancelled', early, may1, { reason: null, items: [line('toys', 1, 700)], totalCents: 700 });
  stream.add('OrderPlaced', early, may1 + 1, placed([line('toys', 1, 700)]));
  stream.add('OrderCancelled', early, may1 + 2, { reason: null, items: [line('toys', 1, 700)], totalCents: 700 });
  stream.add('OrderPlaced', early, may1 + 3, placed([line('toys', 1, 700)]));
  const oneByOne = await freshStore();
  await applyAll(oneByOne.store, batchesOf(stream.events.slice(0, 2), 1));
  const batched = await freshStore();
  await applyAll(batched.store, batchesOf(stream.events.slice(0, 2), 2));
  t.same(await raw(batched.generation), await raw(oneByOne.generation), 'cancel-then-place: counted, not cancelled, as one event at a time');
  t.match((await raw(batched.generation)).orders, [{ orderId: early.orderId, cancelled: false }]);
  await applyAll(oneByOne.store, batchesOf(stream.events, 1));
  const all = await freshStore();
  await applyAll(all.store, batchesOf(stream.events, stream.events.length));
  t.same(await raw(all.generation), await raw(oneByOne.generation), 'cancel, place, cancel, place: the same state either way');
});

t.test('a handler the database refuses fails the batch as poison, naming the event; nothing of it stays', async (t) => {
  const poisoned = await freshStore();
  const bad = new OrderEventStream();
  bad.add('OrderPlaced', order('fine'), may1, placed([line('kitchen', 1, 100)]));
  const broken = bad.add('OrderPlaced', order('broken'), may1, placed([line('kitchen', 1.5, 100)]));
  const error = await applyAll(poisoned.store, batchesOf(bad.events, 2)).then(() => undefined, (e: unknown) => e);
  t.ok(error instanceof ProjectionHandlerFailed, String(error));
  t.match(error, { code: 'OUTFLOW_ERR_PROJECTION_HANDLER', retriable: false, details: { offset: broken.offset, key: broken.key, eventType: 'OrderPlaced' } });
  t.same(await raw(poisoned.generation), { daily: [], orders: [] }, 'the whole batch rolled back');
  t.same(await poisoned.store.readCheckpoints('events.order'), new Map());
});

t.test("partitions whose chunks change the same daily rows in crossing orders queue for them, never deadlock", async (t) => {
  // Partition 0 places kitchen orders and cancels garden ones; partition 1 the other way round.
  // Statement by statement, each would hold one row while waiting for the one the other holds:
  // Postgres would abort one of them after deadlock_timeout (1 s).
  const { store, generation } = await freshStore();
  const day = Date.UTC(2024, 5, 1, 12);
  const rounds = 12;
  const kitchen = new OrderEventStream(0);
  const garden = new OrderEventStream(1);
  // Each round cancels an order placed before the rounds, on the other partition's category.
  const earlier = Array.from({ length: rounds }, (_, round) => ({ kitchen: order(`k${round}-earlier`), garden: order(`g${round}-earlier`) }));
  for (const { kitchen: k, garden: g } of earlier) {
    kitchen.add('OrderPlaced', g, day, placed([line('garden', 1, 100)]));
    garden.add('OrderPlaced', k, day, placed([line('kitchen', 1, 100)]));
  }
  await Promise.all([applyAll(store, batchesOf(kitchen.events, 1)), applyAll(store, batchesOf(garden.events, 1))]);
  const crossing: [PartitionBatch, PartitionBatch][] = [];
  earlier.forEach(({ kitchen: k, garden: g }, round) => {
    const [k1, g1] = [kitchen.events.length, garden.events.length];
    kitchen.add('OrderPlaced', order(`k${round}`), day, placed([line('kitchen', 2, 100)]));
    kitchen.add('OrderCancelled', g, day + 1, { reason: null, items: [line('garden', 1, 100)], totalCents: 100 });
    garden.add('OrderPlaced', order(`g${round}`), day, placed([line('garden', 2, 100)]));
    garden.add('OrderCancelled', k, day + 1, { reason: null, items: [line('kitchen', 1, 100)], totalCents: 100 });
    crossing.push([batchesOf(kitchen.events.slice(k1), 2)[0]!, batchesOf(garden.events.slice(g1), 2)[0]!]);
  });
  const failures: unknown[] = [];
  for (const [first, second] of crossing) {
    const outcomes = await Promise.allSettled([store.applyBatch(first), store.applyBatch(second)]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') failures.push(outcome.reason);
  }
  t.same(failures.map((error) => (error as { code?: string }).code ?? String(error)), [], 'no chunk failed');
  const { daily } = await raw(generation);
  t.same(daily, [
    { day: '2024-06-01', category: 'garden', revenueCents: 200 * rounds, units: 2 * rounds, orders: rounds },
    { day: '2024-06-01', category: 'kitchen', revenueCents: 200 * rounds, units: 2 * rounds, orders: rounds },
  ], 'every placement counted, every cancellation taken back');
});

t.test('the query role reads tables and views with SELECT alone, and cannot write', async (t) => {
  // sales-report under a name of this run's own: its pointer views do not exist until this
  // test's init creates them on its generation, whatever the shared sales_report views point at.
  const name = `${SALES_REPORT}-view-${run}`;
  const own = renamedPostgresProjection(salesReportProjection, name);
  const view = postgresViewName(name, 'daily');
  const viewCount = async () => (await queryPool.query('SELECT 1 FROM pg_views WHERE viewname = $1', [view])).rowCount;
  t.equal(await viewCount(), 0, 'no view to start with');
  const mine = await freshStore(undefined, own);
  await applyAll(mine.store, batchesOf(events, 3));
  t.equal(await viewCount(), 1, 'init created the pointer view');
  t.equal(await livePostgresGeneration(queryPool, name, 'daily'), mine.generation, 'on its generation');
  const daily = (relation: string) =>
    queryPool.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, category, revenue_cents::int AS "revenueCents", units::int AS units, orders::int AS orders
                       FROM ${pg.escapeIdentifier(relation)} ORDER BY day, category COLLATE "C"`);
  t.same((await daily(view)).rows, expectedRaw.daily, 'the query role reads the view: the rows of the events applied');
  t.same((await daily(postgresTableName(name, mine.generation, 'daily'))).rows, expectedRaw.daily, 'and the table');
  const insert = queryPool.query(`INSERT INTO ${pg.escapeIdentifier(postgresTableName(name, mine.generation, 'daily'))} VALUES ('2024-01-01', 'x', 1, 1, 1)`);
  await t.rejects(insert, { code: '42501' }, 'permission denied');
});

t.test('truncate drops the generation, its checkpoints and a view that pointed at it; readers then see nothing', async (t) => {
  const gone = await freshStore();
  await applyAll(gone.store, batchesOf(events, 4));
  await gone.store.truncate();
  t.same(await raw(gone.generation), { daily: [], orders: [] });
  t.same(await gone.store.readCheckpoints('events.order'), new Map());
  t.match(await readSalesReport(queryPool, { ...range, groupBy: 'day', generation: gone.generation }), { rows: [], totals: { revenueCents: 0, units: 0 } });
  await gone.store.init();
  t.same(await raw(gone.generation), { daily: [], orders: [] }, 'init after truncate starts empty');
});
