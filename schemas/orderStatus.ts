// No event carries an order's status: it follows from which of the order's events came last
// (OrderPlaced, OrderCancelled, OrderShipped; ShippingAddressUpdated keeps it). So it is not a
// generated type, yet it is part of the contract every side shares: the write model's status
// column (its CHECK constraint lists the same three), the read models, verify and the bench.
export type OrderStatus = 'placed' | 'cancelled' | 'shipped';
