import type { EventType } from '../../schemas/eventCatalog.ts';

/**
 * An event a command decided on, before the command layer stamps it with its
 * envelope (event id, time, correlation) and writes it to the outbox.
 * `body` holds the event's own fields, without the envelope.
 */
export interface PendingEvent {
  type: EventType;
  aggregateId: string;
  aggregateVersion: number;
  body: Record<string, unknown>;
}
