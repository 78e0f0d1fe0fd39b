// Writes a command's events to the outbox in the command's own transaction: the
// only way anything leaves the write model. The payload is encoded here, already in
// the Confluent wire format, so Debezium can pass it through untouched.
import crypto from 'node:crypto';
import type pg from 'pg';
import { eventCatalog, type EventType } from '../../schemas/eventCatalog.ts';
import type { EventPayloads } from '../../schemas/generated/eventTypes.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';

/** What the outbox needs of the schema codec: synchronous, registry ids already known. */
export interface EventEncoder {
  encode<T extends EventType>(type: T, event: EventPayloads[T]): Buffer;
}

export interface EventContext {
  now: Date;
  correlationId: string;
  /** The command that caused the events. */
  causationId: string;
}

export interface WrittenEvent {
  eventId: string;
  type: EventType;
  aggregateId: string;
  aggregateVersion: number;
}

export async function writeToOutbox(
  tx: pg.ClientBase,
  encoder: EventEncoder,
  events: readonly PendingEvent[],
  context: EventContext,
): Promise<WrittenEvent[]> {
  const written = events.map((event) => {
    const eventId = crypto.randomUUID();
    // The body's shape is checked against the Avro schema by the encoder (field paths in the error).
    const payload = encoder.encode(event.type, {
      eventId,
      aggregateId: event.aggregateId,
      aggregateVersion: event.aggregateVersion,
      occurredAt: context.now.getTime(),
      correlationId: context.correlationId,
      causationId: context.causationId,
      ...event.body,
    } as unknown as EventPayloads[EventType]);
    return { eventId, event, payload };
  });
  await tx.query(
    `INSERT INTO write.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, occurred_at)
     SELECT u.event_id, u.aggregate_type, u.aggregate_id, u.aggregate_version, u.event_type, u.payload, $7
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])
       AS u(event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload)`,
    [
      written.map((w) => w.eventId),
      written.map((w) => eventCatalog[w.event.type].aggregateType),
      written.map((w) => w.event.aggregateId),
      written.map((w) => w.event.aggregateVersion),
      written.map((w) => w.event.type),
      written.map((w) => w.payload),
      context.now,
    ],
  );
  return written.map(({ eventId, event }) => ({ eventId, type: event.type, aggregateId: event.aggregateId, aggregateVersion: event.aggregateVersion }));
}
