// Every event record starts with the same six envelope fields; the rest is the event's own body.
// The envelope is stamped by whoever publishes the event (the outbox writer, the bench history),
// the body is decided by the domain, so the two are typed apart and joined only at encoding.
import type { EventType } from './eventCatalog.ts';
import type { EventPayloads, OutflowEvent } from './generated/eventTypes.ts';

export type EnvelopeField = 'eventId' | 'aggregateId' | 'aggregateVersion' | 'occurredAt' | 'correlationId' | 'causationId';

/**
 * The envelope fields, typed as the schemas declare them. Picking from the union of all events
 * fails to compile unless every event has every envelope field.
 */
export type EventEnvelope = Pick<OutflowEvent, EnvelopeField>;

/** An event type's own fields: its generated payload without the envelope. */
export type EventBody<T extends EventType> = Omit<EventPayloads[T], EnvelopeField>;

/** The envelope a publisher stamps on an event it decided: its id, its aggregate and version, when, and why. */
export function stampEnvelope(
  eventId: string,
  event: { aggregateId: string; aggregateVersion: number },
  occurredAt: Date,
  cause: { correlationId: string; causationId: string | null },
): EventEnvelope {
  return {
    eventId,
    aggregateId: event.aggregateId,
    aggregateVersion: event.aggregateVersion,
    occurredAt: occurredAt.getTime(),
    correlationId: cause.correlationId,
    causationId: cause.causationId,
  };
}
