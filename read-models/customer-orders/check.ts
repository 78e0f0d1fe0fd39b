// customer-orders against write.orders: each customer's list holds exactly their orders,
// newest first, and each listed summary matches its order.
import { liveGeneration } from '../../projectors/stores/redisKeys.ts';
import { CUSTOMER_ORDERS, customerOrdersProjection, scanCustomerOrders, type CustomerOrderSummary } from './projection.ts';
import { fieldDifferences, type Difference } from '../../projectors/verification/difference.ts';
import type { ReadModelCheck } from '../../projectors/verification/readModelCheck.ts';
import type { ExpectedOrder } from '../../projectors/verification/writeModelSnapshot.ts';

const fromOrder = (o: ExpectedOrder) => ({ status: o.status, totalCents: o.totalCents, itemCount: o.items.length, placedAt: o.placedAt, version: o.version });
const fromSummary = (s: CustomerOrderSummary) => ({ status: s.status, totalCents: s.totalCents, itemCount: s.itemCount, placedAt: s.placedAt, version: s.version });

export const customerOrdersCheck: ReadModelCheck = {
  projection: customerOrdersProjection,
  liveGeneration: (context) => liveGeneration(context.redis, CUSTOMER_ORDERS),
  async differences(expected, context, generation) {
    const out: Difference[] = [];
    const seen = new Set<string>();
    for await (const { customerId, orders } of scanCustomerOrders(context.redis, { generation })) {
      seen.add(customerId);
      const wanted = expected.customerOrders.get(customerId) ?? [];
      const listed = orders.map((o) => o.orderId);
      const customer = { projection: CUSTOMER_ORDERS, entity: 'customer', id: customerId };
      if (wanted.length === 0) {
        out.push({ ...customer, kind: 'unexpected', actual: listed });
        continue;
      }
      const wantedSet = new Set(wanted);
      const listedSet = new Set(listed);
      for (const orderId of wanted) {
        if (!listedSet.has(orderId)) out.push({ projection: CUSTOMER_ORDERS, entity: 'customer-order', id: `${customerId}/${orderId}`, kind: 'missing' });
      }
      for (const summary of orders) {
        const where = { projection: CUSTOMER_ORDERS, entity: 'customer-order', id: `${customerId}/${summary.orderId}` };
        const order = expected.orders.get(summary.orderId);
        if (!wantedSet.has(summary.orderId) || !order) out.push({ ...where, kind: 'unexpected', actual: fromSummary(summary) });
        else out.push(...fieldDifferences(where, fromOrder(order), fromSummary(summary)));
      }
      // Order only matters once the membership agrees; otherwise the lines above say it all.
      if (wanted.length === listed.length && wanted.every((id) => listedSet.has(id))) {
        out.push(...fieldDifferences(customer, { newestFirst: wanted }, { newestFirst: listed }));
      }
    }
    for (const [customerId, wanted] of expected.customerOrders) {
      if (!seen.has(customerId)) out.push({ projection: CUSTOMER_ORDERS, entity: 'customer', id: customerId, kind: 'missing', expected: wanted });
    }
    return out;
  },
};
