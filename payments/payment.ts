// The payment aggregate: one per order, authorized, then captured, then perhaps refunded. The
// decisions are pure: given the payment as stored (or none), each returns the event to write or
// throws the typed error the API answers with. Nothing here knows the order: the payments
// service owns its own database, and order-summary joins the two streams.
import { AlreadyExists, ConcurrencyConflict, InvariantViolation, NotFound } from '../lib/errors.ts';
import type { EventBody } from '../schemas/eventEnvelope.ts';
import type { PaymentState } from '../schemas/paymentState.ts';

export interface Payment extends PaymentState {
  orderId: string;
}

type PaymentEventType = 'PaymentAuthorized' | 'PaymentCaptured' | 'PaymentRefunded';

export type PaymentEvent = {
  [T in PaymentEventType]: { type: T; aggregateId: string; aggregateVersion: number; body: EventBody<T> };
}[PaymentEventType];

/** The payment after `event`: what the state row becomes. */
export function paymentAfter(event: PaymentEvent, before: Payment | undefined): Payment {
  const orderId = event.aggregateId;
  const version = event.aggregateVersion;
  switch (event.type) {
    case 'PaymentAuthorized':
      return { orderId, status: 'authorized', amountCents: event.body.amountCents, refundReason: null, version };
    case 'PaymentCaptured':
      return { ...(before as Payment), status: 'captured', version };
    case 'PaymentRefunded':
      return { ...(before as Payment), status: 'refunded', refundReason: event.body.reason, version };
  }
}

function existing(payment: Payment | undefined, orderId: string, expectedVersion: number | undefined): Payment {
  if (!payment) throw new NotFound('payment for order', orderId);
  if (expectedVersion !== undefined && expectedVersion !== payment.version) throw new ConcurrencyConflict('payment', orderId, expectedVersion, payment.version);
  return payment;
}

export function authorizePayment(payment: Payment | undefined, orderId: string, amountCents: number): PaymentEvent {
  if (payment) throw new AlreadyExists('payment for order', orderId);
  return { type: 'PaymentAuthorized', aggregateId: orderId, aggregateVersion: 1, body: { orderId, amountCents } };
}

export function capturePayment(stored: Payment | undefined, orderId: string, expectedVersion?: number): PaymentEvent {
  const payment = existing(stored, orderId, expectedVersion);
  if (payment.status !== 'authorized') {
    throw new InvariantViolation('payment.capture-needs-authorized', `payment for order ${orderId} is ${payment.status}; only an authorized payment can be captured`, { status: payment.status });
  }
  return { type: 'PaymentCaptured', aggregateId: orderId, aggregateVersion: payment.version + 1, body: { orderId, amountCents: payment.amountCents } };
}

export function refundPayment(stored: Payment | undefined, orderId: string, reason: string, expectedVersion?: number): PaymentEvent {
  const payment = existing(stored, orderId, expectedVersion);
  if (payment.status !== 'captured') {
    throw new InvariantViolation('payment.refund-needs-captured', `payment for order ${orderId} is ${payment.status}; only a captured payment can be refunded`, { status: payment.status });
  }
  return { type: 'PaymentRefunded', aggregateId: orderId, aggregateVersion: payment.version + 1, body: { orderId, amountCents: payment.amountCents, reason } };
}
