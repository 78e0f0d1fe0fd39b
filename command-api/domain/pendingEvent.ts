import type { EventType } from '../../schemas/eventCatalog.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';

type PendingEvents = {
  [T in EventType]: {
    type: T;
    aggregateId: string;
    aggregateVersion: number;
    /** The event's own fields, exactly those of its schema: one missing or extra fails to compile. */
    body: EventBody<T>;
  };
};

/**
 * An event a command decided on, before the command layer stamps it with the rest of its
 * envelope (event id, time, correlation) and writes it to the outbox. Narrowing on `type`
 * narrows `body` to that event type's fields.
 */
export type PendingEvent<T extends EventType = EventType> = PendingEvents[T];
