// An order's status, as the events imply it: OrderPlaced makes it placed, OrderCancelled
// cancelled, OrderShipped shipped. No event carries the status itself, so the Avro schemas
// have no enum for it; the write model and every read model that shows a status share this one.
export const ORDER_STATUSES = ['placed', 'cancelled', 'shipped'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];
