// sales-report against write.orders + write.order_items: every order counted once with the
// right cancelled flag, and every day/category total equal. Rows all cancellations brought
// back to zero stay in the table and are not differences.
import { livePostgresGeneration } from '../stores/postgresStore.ts';
import { readSalesDailyRows, readSalesOrders, SALES_REPORT, salesReportProjection, utcDay } from '../projections/salesReport.ts';
import { fieldDifferences, type Difference } from './difference.ts';
import type { ReadModelCheck } from './readModelCheck.ts';

export const salesReportCheck: ReadModelCheck = {
  projection: salesReportProjection,
  liveGeneration: (context) => livePostgresGeneration(context.readPostgres, SALES_REPORT, 'daily'),
  async differences(expected, context, generation) {
    const out: Difference[] = [];
    const counted = new Map((await readSalesOrders(context.readPostgres, { generation })).map((row) => [row.orderId, row]));
    for (const [orderId, row] of counted) {
      const where = { projection: SALES_REPORT, entity: 'sales-order', id: orderId };
      const order = expected.orders.get(orderId);
      if (!order) out.push({ ...where, kind: 'unexpected', actual: row });
      else out.push(...fieldDifferences(where, { day: utcDay(order.placedAt), cancelled: order.status === 'cancelled' }, { day: row.day, cancelled: row.cancelled }));
    }
    for (const orderId of expected.orders.keys()) {
      if (!counted.has(orderId)) out.push({ projection: SALES_REPORT, entity: 'sales-order', id: orderId, kind: 'missing' });
    }

    const wanted = new Map(expected.sales.map((row) => [`${row.day}/${row.category}`, row]));
    const seen = new Set<string>();
    for (const row of await readSalesDailyRows(context.readPostgres, { generation })) {
      const id = `${row.day}/${row.category}`;
      seen.add(id);
      const where = { projection: SALES_REPORT, entity: 'sales-day', id };
      const want = wanted.get(id) ?? { revenueCents: 0, units: 0, orders: 0 };
      out.push(...fieldDifferences(where, { revenueCents: want.revenueCents, units: want.units, orders: want.orders }, { revenueCents: row.revenueCents, units: row.units, orders: row.orders }));
    }
    for (const [id, row] of wanted) {
      if (!seen.has(id)) out.push({ projection: SALES_REPORT, entity: 'sales-day', id, kind: 'missing', expected: row });
    }
    return out;
  },
};
