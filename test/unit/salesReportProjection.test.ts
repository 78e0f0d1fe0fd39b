// The pure parts of sales-report and the Postgres store: UTC days, per-category
// contributions, how a chunk is split into statements, table and view names, and which
// database errors are worth retrying.
import pg from 'pg';
import t from 'tap';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import { contributionsOf, placementKeysOf, salesReportProjection, salesSegmentsOf, utcDay } from '../../read-models/sales-report/projection.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { isTransientStoreFailure, postgresReadTarget, postgresTableName, postgresViewName } from '../../projectors/stores/postgresStore.ts';

t.test('an order counts on the UTC day it was placed', async (t) => {
  t.equal(utcDay(Date.UTC(2024, 4, 1, 23, 59, 59, 999)), '2024-05-01');
  t.equal(utcDay(Date.UTC(2024, 4, 2)), '2024-05-02');
});

t.test('contributions: revenue and units summed per category, sorted', async (t) => {
  const line = (category: string, quantity: number, unitPriceCents: number) => ({ sku: 's', name: 'n', category, quantity, unitPriceCents, lineTotalCents: quantity * unitPriceCents });
  t.same(contributionsOf([line('kitchen', 2, 1999), line('garden', 1, 500), line('kitchen', 1, 499)]), [
    { category: 'garden', revenueCents: 500, units: 1 },
    { category: 'kitchen', revenueCents: 4497, units: 3 },
  ]);
  t.same(contributionsOf([]), []);
});

t.test('contributions come out in code-unit order of category, whatever order the lines had', async (t) => {
  const line = (category: string) => ({ sku: 's', name: 'n', category, quantity: 1, unitPriceCents: 1, lineTotalCents: 1 });
  t.same(contributionsOf(['toys', 'Zebra', 'garden', 'apparel', 'kitchen'].map(line)).map((c) => c.category), ['Zebra', 'apparel', 'garden', 'kitchen', 'toys']);
  t.same(contributionsOf(['b', 'a'].map(line)).map((c) => c.category), ['a', 'b']);
});

t.test("the daily rows a chunk's placements add to: each (day, category) once, in order", async (t) => {
  const line = (category: string) => ({ sku: 's', name: 'n', category, quantity: 1, unitPriceCents: 1, lineTotalCents: 1 });
  const placement = (orderId: string, occurredAt: number, categories: string[]) =>
    ({ type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, orderId, occurredAt, items: categories.map(line) }, topic: 'events.order', partition: 0, offset: '0', key: orderId }) as Extract<ProjectionEvent, { type: 'OrderPlaced' }>;
  const may2 = Date.UTC(2024, 4, 2, 8);
  const may1Late = Date.UTC(2024, 4, 1, 23, 59);
  t.same(placementKeysOf([placement('a', may2, ['toys', 'garden']), placement('b', may1Late, ['toys']), placement('c', may2, ['garden', 'garden'])]), {
    days: ['2024-05-01', '2024-05-02', '2024-05-02'],
    categories: ['toys', 'garden', 'toys'],
  });
  t.same(placementKeysOf([]), { days: [], categories: [] });
});

const at = { topic: 'events.order', partition: 0 };
const placed = (orderId: string, offset: number): ProjectionEvent => ({ type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, orderId }, ...at, offset: String(offset), key: orderId });
const cancelled = (orderId: string, offset: number): ProjectionEvent => ({ type: 'OrderCancelled', event: { ...exampleEvents.OrderCancelled, orderId }, ...at, offset: String(offset), key: orderId });
const shipped = (orderId: string, offset: number): ProjectionEvent => ({ type: 'OrderShipped', event: { ...exampleEvents.OrderShipped, orderId }, ...at, offset: String(offset), key: orderId });
const shape = (events: readonly ProjectionEvent[]) =>
  salesSegmentsOf(events).map((s) => ({ placements: s.placements.map((p) => `${p.event.orderId}@${p.offset}`), cancellations: s.cancellations }));

t.test('a chunk is one segment while no placement follows a cancellation of the same order', async (t) => {
  t.same(shape([]), [], 'an empty chunk writes nothing');
  t.same(shape([placed('a', 1), cancelled('b', 2), placed('c', 3), cancelled('a', 4)]), [{ placements: ['a@1', 'c@3'], cancellations: ['b', 'a'] }]);
  t.same(shape([placed('a', 1)]), [{ placements: ['a@1'], cancellations: [] }], 'placements alone');
  t.same(shape([cancelled('a', 1)]), [{ placements: [], cancellations: ['a'] }], 'cancellations alone');
  t.same(shape([placed('a', 1), placed('a', 2), cancelled('b', 3), cancelled('b', 4)]), [{ placements: ['a@1'], cancellations: ['b'] }], 'a redelivery in the segment counts once: the first');
  t.same(shape([shipped('a', 1), placed('b', 2), shipped('b', 3)]), [{ placements: ['b@2'], cancellations: [] }], 'other event types add nothing');
  t.same(shape([shipped('a', 1)]), [], 'a chunk without placements or cancellations writes nothing');
});

t.test('a placement after a cancellation of its order starts a new segment', async (t) => {
  t.same(shape([placed('a', 1), cancelled('a', 2), placed('b', 3), placed('a', 4), cancelled('b', 5)]), [
    { placements: ['a@1', 'b@3'], cancellations: ['a'] },
    { placements: ['a@4'], cancellations: ['b'] },
  ]);
  t.same(shape([cancelled('a', 1), placed('b', 2), placed('a', 3)]), [
    { placements: ['b@2'], cancellations: ['a'] },
    { placements: ['a@3'], cancellations: [] },
  ], 'placements before the split stay in the segment that applies first');
});

t.test('names: generation tables, pointer views, quoted read targets', async (t) => {
  t.same(salesReportProjection.eventTypes, ['OrderPlaced', 'OrderCancelled']);
  t.same(Object.keys(salesReportProjection.tables), ['daily', 'orders']);
  t.equal(postgresTableName('sales-report', 3, 'daily'), 'sales_report_g3_daily');
  t.equal(postgresViewName('sales-report', 'daily'), 'sales_report_daily');
  t.equal(postgresReadTarget('sales-report', 'daily'), '"sales_report_daily"');
  t.equal(postgresReadTarget('sales-report', 'orders', 7), '"sales_report_g7_orders"');
});

t.test('lost connections, deadlocks and overload are transient; a refused statement is poison', async (t) => {
  const dbError = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code });
  t.ok(isTransientStoreFailure(dbError('40P01')), 'deadlock');
  t.ok(isTransientStoreFailure(dbError('08006')), 'connection failure');
  t.ok(isTransientStoreFailure(dbError('57P01')), 'admin shutdown');
  t.notOk(isTransientStoreFailure(dbError('22P02')), 'invalid input');
  t.notOk(isTransientStoreFailure(dbError('23505')), 'unique violation');
  t.ok(isTransientStoreFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
  t.ok(isTransientStoreFailure(new Error('Connection terminated unexpectedly')));
  t.notOk(isTransientStoreFailure(new TypeError('cannot read properties of undefined')));
  t.ok(isTransientStoreFailure(dbError('55P03')), 'lock not available: waited out, not parked');
  t.ok(isTransientStoreFailure(dbError('58030')), 'an I/O error of the server');
  t.notOk(isTransientStoreFailure(dbError('40002')), 'a deferred constraint failing at commit is the data, not a race');
  t.notOk(isTransientStoreFailure(dbError('57014')), 'a statement that ran out of time is parked, not retried forever');
});
