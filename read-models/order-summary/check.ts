// order-summary against write.orders + write.order_items, and each order's payment against the
// payments service's payments.payments: every order once, every field equal.
import { liveGeneration } from '../../projectors/stores/redisKeys.ts';
import { ORDER_SUMMARY, orderSummaryProjection, scanOrderSummaries, type OrderSummary } from './projection.ts';
import { compareById } from '../../projectors/verification/difference.ts';
import type { ReadModelCheck } from '../../projectors/verification/readModelCheck.ts';
import type { ExpectedOrder } from '../../projectors/verification/writeModelSnapshot.ts';

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
  payment: o.payment,
});

export const orderSummaryCheck: ReadModelCheck = {
  projection: orderSummaryProjection,
  liveGeneration: (context) => liveGeneration(context.redis, ORDER_SUMMARY),
  differences: (expected, context, generation) =>
    compareById({ projection: ORDER_SUMMARY, entity: 'order' }, expected.orders, scanOrderSummaries(context.redis, { generation }), (o) => o.orderId, {
      expected: comparable,
      actual: comparable,
    }),
};
