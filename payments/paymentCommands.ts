// A payment command is one transaction on the payments database: lock the payment row (or find
// none), decide, write the state row and the outbox row, commit. Two commands on one payment
// queue on the row lock; two authorizations of a new one meet at the primary key.
import crypto from 'node:crypto';
import type pg from 'pg';
import { fromDependency } from '../lib/dependencyFailure.ts';
import { AlreadyExists } from '../lib/errors.ts';
import { uniqueViolationConstraint } from '../lib/postgresFailure.ts';
import { eventCatalog } from '../schemas/eventCatalog.ts';
import type { EventEncoder } from '../schemas/eventCodec.ts';
import { stampEnvelope } from '../schemas/eventEnvelope.ts';
import type { PaymentStatus } from '../schemas/paymentState.ts';
import { paymentAfter, type Payment, type PaymentEvent } from './payment.ts';

export interface PaymentCommandContext {
  correlationId: string;
  causationId: string;
  traceparent: string | null;
}

export interface PaymentCommandResult {
  aggregateId: string;
  version: number;
}

interface PaymentRow {
  order_id: string;
  status: PaymentStatus;
  amount_cents: string;
  refund_reason: string | null;
  version: string;
}

const toPayment = (row: PaymentRow): Payment => ({
  orderId: row.order_id,
  status: row.status,
  amountCents: Number(row.amount_cents),
  refundReason: row.refund_reason,
  version: Number(row.version),
});

export async function readPayment(client: pg.ClientBase, orderId: string, { lock = false } = {}): Promise<Payment | undefined> {
  const { rows } = await client.query<PaymentRow>(
    `SELECT order_id, status, amount_cents, refund_reason, version FROM payments.payments WHERE order_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [orderId],
  );
  return rows[0] && toPayment(rows[0]);
}

function encodePaymentEvent(encoder: EventEncoder, event: PaymentEvent, eventId: string, now: Date, context: PaymentCommandContext): Buffer {
  return encoder.encode(event.type, { ...stampEnvelope(eventId, event, now, context), ...event.body });
}

export class PaymentCommands {
  readonly #pool: pg.Pool;
  readonly #encoder: EventEncoder;

  constructor(pool: pg.Pool, encoder: EventEncoder) {
    this.#pool = pool;
    this.#encoder = encoder;
  }

  /** Decides on the locked payment and writes the state row and its event in one transaction. */
  async execute(orderId: string, decide: (payment: Payment | undefined) => PaymentEvent, context: PaymentCommandContext): Promise<PaymentCommandResult> {
    // The payments database down or too slow is a 503 naming it, for payment commands only.
    return fromDependency('paymentsPostgres', () => this.#execute(orderId, decide, context));
  }

  async #execute(orderId: string, decide: (payment: Payment | undefined) => PaymentEvent, context: PaymentCommandContext): Promise<PaymentCommandResult> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const before = await readPayment(client, orderId, { lock: true });
      const event = decide(before);
      const now = new Date();
      const eventId = crypto.randomUUID();
      const payload = encodePaymentEvent(this.#encoder, event, eventId, now, context);
      const after = paymentAfter(event, before);
      if (before) {
        await client.query('UPDATE payments.payments SET status = $2, refund_reason = $3, version = $4, updated_at = $5 WHERE order_id = $1', [
          orderId,
          after.status,
          after.refundReason,
          after.version,
          now,
        ]);
      } else {
        await client.query(
          'INSERT INTO payments.payments (order_id, status, amount_cents, refund_reason, version, authorized_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)',
          [orderId, after.status, after.amountCents, after.refundReason, after.version, now],
        );
      }
      await client.query(
        `INSERT INTO payments.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, occurred_at, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [eventId, eventCatalog[event.type].aggregateType, event.aggregateId, event.aggregateVersion, event.type, payload, now, context.traceparent],
      );
      await client.query('COMMIT');
      return { aggregateId: orderId, version: after.version };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      // Two authorizations of one new payment: the second finds no row to lock, then meets the first's key.
      if (uniqueViolationConstraint(error) === 'payments_pkey') throw new AlreadyExists('payment for order', orderId);
      throw error;
    } finally {
      // A connection that could not even roll back is not given to the next command.
      client.release(broken);
    }
  }
}
