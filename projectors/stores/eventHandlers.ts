// What every store adapter does alike with a projection's per-event handlers: find the event types
// they handle, give an event to its handler, and, when a handler throws, name the event in a
// ProjectionHandlerFailed (poison: the runtime parks its key instead of retrying).
import { ProjectionHandlerFailed } from '../../lib/errors.ts';
import { isEventType, type EventType } from '../../schemas/eventCatalog.ts';
import type { ProjectionEvent } from '../projection.ts';

/** One handler per event type, each seeing the event narrowed to its type; R is what the store writes. */
export type EventHandlers<R> = {
  readonly [T in EventType]?: (event: Extract<ProjectionEvent, { type: T }>) => R;
};

/** The event types that have a handler, in the handlers' order. */
export function handledEventTypes(handlers: EventHandlers<unknown>): readonly EventType[] {
  return Object.freeze(Object.keys(handlers).filter(isEventType));
}

/** The handlers as one function over every event: the handler's result, or `none` for an event type without one. */
export function handlerDispatch<R>(handlers: EventHandlers<R>, none: R): (event: ProjectionEvent) => R {
  return (event) => {
    // The mapped type pairs each event type with its handler; TS cannot follow the
    // correlation through a union-typed lookup, so the pairing is asserted here.
    const handler = handlers[event.type] as ((e: ProjectionEvent) => R) | undefined;
    return handler ? handler(event) : none;
  };
}

/**
 * A projection's handlers as a store calls them, once per event: each item they give is checked,
 * and whatever throws, a handler or the check, comes out as the event's ProjectionHandlerFailed.
 * Built once per store, so the per-event path allocates nothing of its own.
 */
export function checkedHandlers<R>(projection: string, project: (event: ProjectionEvent) => readonly R[], check: (item: R) => void): (event: ProjectionEvent) => readonly R[] {
  return (event) => {
    try {
      const items = project(event);
      for (const item of items) check(item);
      return items;
    } catch (error) {
      throw handlerFailed(projection, event, error);
    }
  };
}

/** A handler's failure, naming where the event sits in Kafka. */
export function handlerFailed(projection: string, event: ProjectionEvent, error: unknown): ProjectionHandlerFailed {
  const where = { topic: event.topic, partition: event.partition, offset: event.offset, key: event.key, eventType: event.type };
  return new ProjectionHandlerFailed(projection, where, error);
}
