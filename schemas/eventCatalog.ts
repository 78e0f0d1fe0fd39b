// The event catalog: for every event type, the aggregate it belongs to, the topic it
// is published on, and its registry subject. Topics are per aggregate type and keyed
// by aggregate id, so one aggregate's events stay in one partition, in order. Several
// event types share a topic, hence the record-name subject strategy.

export const AGGREGATE_TYPES = ['product', 'inventory', 'order', 'payment'] as const;
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

export const EVENT_NAMESPACE = 'outflow.events';

const aggregateOfEvent = {
  ProductCreated: 'product',
  ProductUpdated: 'product',
  InventoryAdjusted: 'inventory',
  OrderPlaced: 'order',
  OrderCancelled: 'order',
  OrderShipped: 'order',
  ShippingAddressUpdated: 'order',
  // Written by the payments service into its own database and outbox (a second source).
  PaymentAuthorized: 'payment',
  PaymentCaptured: 'payment',
  PaymentRefunded: 'payment',
} as const satisfies Record<string, AggregateType>;

export type EventType = keyof typeof aggregateOfEvent;
export const EVENT_TYPES = Object.freeze(Object.keys(aggregateOfEvent) as EventType[]);

export interface CatalogEntry {
  eventType: EventType;
  aggregateType: AggregateType;
  /** The Kafka topic: events.<aggregate type>. */
  topic: string;
  /** Registry subject under the record-name strategy: the record's full name. */
  subject: string;
  /** The .avsc file under schemas/avro/. */
  schemaFile: string;
}

export function topicOf(aggregateType: AggregateType): string {
  return `events.${aggregateType}`;
}

export const eventCatalog: Readonly<Record<EventType, CatalogEntry>> = Object.freeze(
  Object.fromEntries(
    EVENT_TYPES.map((eventType) => {
      const aggregateType = aggregateOfEvent[eventType];
      return [
        eventType,
        Object.freeze({
          eventType,
          aggregateType,
          topic: topicOf(aggregateType),
          subject: `${EVENT_NAMESPACE}.${eventType}`,
          schemaFile: `${eventType}.avsc`,
        }),
      ];
    }),
  ) as Record<EventType, CatalogEntry>,
);

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(aggregateOfEvent, value);
}
