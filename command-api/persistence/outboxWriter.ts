// The outbox: the only way anything leaves the write model. Payloads are encoded here, in Node,
// through the registry codec, already in the Confluent wire format, so Debezium passes them
// through untouched; the rows are inserted by the command's one write statement, after its
// state rows and in the same transaction.
import crypto from 'node:crypto';
import { eventCatalog } from '../../schemas/eventCatalog.ts';
import type { EventEncoder } from '../../schemas/eventCodec.ts';
import { stampEnvelope } from '../../schemas/eventEnvelope.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import type { WriteStatement } from './writeStatement.ts';

export interface EventContext {
  now: Date;
  correlationId: string;
  /** The command that caused the events. */
  causationId: string;
}

export interface EncodedEvent {
  eventId: string;
  event: PendingEvent;
  payload: Buffer;
}

/** Stamps each event with its envelope and encodes it, in the order given (the outbox's order). */
export function encodeEvents(encoder: EventEncoder, events: readonly PendingEvent[], context: EventContext): EncodedEvent[] {
  return events.map((event) => {
    const eventId = crypto.randomUUID();
    const envelope = stampEnvelope(eventId, event, context.now, context);
    // The body is typed by its event type's schema already; the encoder still checks the values
    // (a string past its bound, a non-integer long) against the Avro schema, naming each field.
    const payload = encoder.encode(event.type, { ...envelope, ...event.body });
    return { eventId, event, payload };
  });
}

/**
 * The outbox rows of the write statement, inserted after its state rows (FROM state_written).
 * `traceparent` (the command's, shared by its events) travels to the projectors in a Kafka header.
 */
export function writeOutboxRows(statement: WriteStatement, encoded: readonly EncodedEvent[], now: Date, traceparent: string | null = null): void {
  const p = (value: unknown, type?: string) => statement.param(value, type);
  statement.then(
    'outbox_rows',
    `INSERT INTO write.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, occurred_at, traceparent)
     SELECT u.event_id, u.aggregate_type, u.aggregate_id, u.aggregate_version, u.event_type, u.payload, ${p(now, 'timestamptz')}, ${p(traceparent, 'text')}
     FROM state_written, unnest(${p(encoded.map((e) => e.eventId), 'uuid[]')}, ${p(encoded.map((e) => eventCatalog[e.event.type].aggregateType), 'text[]')},
       ${p(encoded.map((e) => e.event.aggregateId), 'text[]')}, ${p(encoded.map((e) => e.event.aggregateVersion), 'bigint[]')},
       ${p(encoded.map((e) => e.event.type), 'text[]')}, ${p(encoded.map((e) => e.payload), 'bytea[]')})
       AS u(event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload)
     RETURNING 1`,
  );
}
