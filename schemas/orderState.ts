// An order's state as its events leave it, shared by everyone who folds them: the command API's
// order aggregate (and its write.orders row), the read models, verify and the bench history.
import type { EventBody } from './eventEnvelope.ts';

/**
 * No event carries the status: it follows from which of the order's events came last
 * (OrderPlaced, OrderCancelled, OrderShipped; ShippingAddressUpdated keeps it), so it is not a
 * generated type. The write model's status column allows the same three.
 */
export const ORDER_STATUSES = ['placed', 'cancelled', 'shipped'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What OrderPlaced carried, and what the events after it changed. */
export interface OrderState extends EventBody<'OrderPlaced'>, Pick<EventBody<'OrderShipped'>, 'carrier' | 'trackingNumber'> {
  status: OrderStatus;
  /** OrderCancelled's reason; null until the order is cancelled, and after a cancel without one. */
  cancelReason: EventBody<'OrderCancelled'>['reason'];
}
