// order-summary against write.orders + write.order_items: every order once, every field equal.
import { liveGeneration } from '../stores/redisKeys.ts';
import { ORDER_SUMMARY, orderSummaryProjection, scanOrderSummaries, type OrderSummary } from '../projections/orderSummary.ts';
import { fieldDifferences, type Difference } from './difference.ts';
import type { ReadModelCheck } from './readModelCheck.ts';
import type { ExpectedOrder } from './writeModelSnapshot.ts';

const comparable = (o: ExpectedOrder | OrderSummary) => ({
  customerId: o.customerId,
  status: o.status,
  items: o.items,
  totalCents: o.totalCents,
  shippingAddress: o.shippingAddress,
  cancelReason: o.cancelReason,
  carrier: o.carrier,
  trackingNumber: o.trackingNumber,
  placedAt: o.placedAt,
  version: o.version,
});

export const orderSummaryCheck: ReadModelCheck = {
  projection: orderSummaryProjection,
  liveGeneration: (context) => liveGeneration(context.redis, ORDER_SUMMARY),
  async differences(expected, context, generation) {
    const out: Difference[] = [];
    const seen = new Set<string>();
    for await (const actual of scanOrderSummaries(context.redis, { generation })) {
      seen.add(actual.orderId);
      const where = { projection: ORDER_SUMMARY, entity: 'order', id: actual.orderId };
      const order = expected.orders.get(actual.orderId);
      if (!order) out.push({ ...where, kind: 'unexpected', actual: comparable(actual) });
      else out.push(...fieldDifferences(where, comparable(order), comparable(actual)));
    }
    for (const order of expected.orders.values()) {
      if (!seen.has(order.orderId)) out.push({ projection: ORDER_SUMMARY, entity: 'order', id: order.orderId, kind: 'missing', expected: comparable(order) });
    }
    return out;
  },
};
