// A payment's state as its events leave it, shared by everyone who folds them: the payments
// service (and its payments.payments row), order-summary and verify.

/** No event carries the status: it follows from which of the payment's events came last. */
export const PAYMENT_STATUSES = ['authorized', 'captured', 'refunded'] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface PaymentState {
  status: PaymentStatus;
  amountCents: number;
  /** PaymentRefunded's reason; null until the payment is refunded. */
  refundReason: string | null;
  /** The payment aggregate's version: its own, independent of the order's. */
  version: number;
}
