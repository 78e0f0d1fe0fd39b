// sales-report against write.orders + write.order_items: every order counted once with the
// right cancelled flag, and every day/category total equal. Rows all cancellations brought
// back to zero stay in the table and are not differences.
import { livePostgresGeneration } from '../../projectors/stores/postgresStore.ts';
import { readSalesDailyRows, readSalesOrders, SALES_REPORT, salesReportProjection, utcDay } from './projection.ts';
import { compareById, fieldDifferences } from '../../projectors/verification/difference.ts';
import type { ReadModelCheck } from '../../projectors/verification/readModelCheck.ts';

export const salesReportCheck: ReadModelCheck = {
  projection: salesReportProjection,
  liveGeneration: (context) => livePostgresGeneration(context.readPostgres, SALES_REPORT, 'daily'),
  async differences(expected, context, generation) {
    const out = await compareById({ projection: SALES_REPORT, entity: 'sales-order' }, expected.orders, await readSalesOrders(context.readPostgres, { generation }), (row) => row.orderId, {
      expected: (order) => ({ day: utcDay(order.placedAt), cancelled: order.status === 'cancelled' }),
      actual: (row) => ({ day: row.day, cancelled: row.cancelled }),
    });

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
