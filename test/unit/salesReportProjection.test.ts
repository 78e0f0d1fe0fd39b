// The pure parts of sales-report and the Postgres store: UTC days, per-category
// contributions, table and view names, and which database errors are worth retrying.
import pg from 'pg';
import t from 'tap';
import { contributionsOf, salesReportProjection, utcDay } from '../../projectors/projections/salesReport.ts';
import { isTransientPostgresError, postgresReadTarget, postgresTableName, postgresViewName } from '../../projectors/stores/postgresStore.ts';

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
  t.ok(isTransientPostgresError(dbError('40P01')), 'deadlock');
  t.ok(isTransientPostgresError(dbError('08006')), 'connection failure');
  t.ok(isTransientPostgresError(dbError('57P01')), 'admin shutdown');
  t.notOk(isTransientPostgresError(dbError('22P02')), 'invalid input');
  t.notOk(isTransientPostgresError(dbError('23505')), 'unique violation');
  t.ok(isTransientPostgresError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
  t.ok(isTransientPostgresError(new Error('Connection terminated unexpectedly')));
  t.notOk(isTransientPostgresError(new TypeError('cannot read properties of undefined')));
});
