// Realistic order event streams for projection specs: payloads shaped like
// schemas/exampleEvents.ts, versions as the order aggregate assigns them, wrapped as
// ProjectionEvents at consecutive offsets of one partition.
import crypto from 'node:crypto';
import type { PartitionBatch, ProjectionEvent } from '../../projectors/projection.ts';
import type { EventPayloads, OrderLine, ShippingAddress } from '../../schemas/generated/eventTypes.ts';

export const ORDER_TOPIC = 'events.order';

export const address: ShippingAddress = { name: 'Ada Lovelace', line1: '12 St James Sq', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

export const lines: OrderLine[] = [
  { sku: 'SKU-1', name: 'Teapot', category: 'kitchen', quantity: 2, unitPriceCents: 1999, lineTotalCents: 3998 },
  { sku: 'SKU-2', name: 'Cup "Ada" — 250 ml', category: 'kitchen', quantity: 1, unitPriceCents: 499, lineTotalCents: 499 },
];

type OrderEventType = 'OrderPlaced' | 'OrderCancelled' | 'OrderShipped' | 'ShippingAddressUpdated';
type Body<T extends OrderEventType> = Omit<EventPayloads[T], 'eventId' | 'aggregateId' | 'aggregateVersion' | 'occurredAt' | 'correlationId' | 'causationId' | 'orderId' | 'customerId'>;

/** Appends events to one partition, keeping each order's version as the aggregate would. */
export class OrderEventStream {
  readonly events: ProjectionEvent[] = [];
  private readonly versions = new Map<string, number>();

  /** `firstOffset` > 0 makes a continuation of an earlier stream of the same partition. */
  constructor(readonly partition = 0, readonly firstOffset = 0) {}

  add<T extends OrderEventType>(type: T, order: { orderId: string; customerId: string }, at: number, body: Body<T>): ProjectionEvent {
    const version = (this.versions.get(order.orderId) ?? 0) + 1;
    this.versions.set(order.orderId, version);
    const event = {
      eventId: crypto.randomUUID(),
      aggregateId: order.orderId,
      aggregateVersion: version,
      occurredAt: at,
      correlationId: crypto.randomUUID(),
      causationId: null,
      orderId: order.orderId,
      customerId: order.customerId,
      ...body,
    } as unknown as EventPayloads[T]; // the spread of a generic body is not followed by TS
    return this.push({ type, event } as Pick<ProjectionEvent, 'type' | 'event'>);
  }

  /** Appends a copy of an earlier event at the next offset: a redelivery the checkpoint cannot recognise. */
  redeliver(event: ProjectionEvent): ProjectionEvent {
    return this.push({ type: event.type, event: event.event } as Pick<ProjectionEvent, 'type' | 'event'>);
  }

  private push(typed: Pick<ProjectionEvent, 'type' | 'event'>): ProjectionEvent {
    const event = { ...typed, topic: ORDER_TOPIC, partition: this.partition, offset: String(this.firstOffset + this.events.length), key: typed.event.aggregateId } as ProjectionEvent;
    this.events.push(event);
    return event;
  }
}

/** Consecutive batches of at most `size` events covering `events`, as the runtime would hand them over. */
export function batchesOf(events: readonly ProjectionEvent[], size: number): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  for (let i = 0; i < events.length; i += size) {
    const slice = events.slice(i, i + size);
    const last = slice[slice.length - 1];
    if (!last) continue;
    batches.push({ topic: last.topic, partition: last.partition, events: slice, lastOffset: last.offset });
  }
  return batches;
}

/**
 * The shop day the specs replay: an order placed, re-addressed and shipped; one placed and
 * cancelled; three placed by one customer in the same millisecond (one then shipped); all
 * interleaved in one partition.
 */
export function shopDay(runId: string, start = Date.UTC(2024, 4, 1, 9, 0, 0)) {
  const ada = `customer-ada-${runId}`;
  const bob = `customer-bob-${runId}`;
  const o = (name: string, customerId: string) => ({ orderId: `order-${name}-${runId}`, customerId });
  const shipped = o('shipped', ada);
  const cancelled = o('cancelled', ada);
  const sameMs = [o('same-b', bob), o('same-c', bob), o('same-a', bob)];
  const stream = new OrderEventStream();
  stream.add('OrderPlaced', shipped, start, { items: lines, totalCents: 4497, shippingAddress: address });
  stream.add('OrderPlaced', cancelled, start + 1_000, { items: [lines[0] as OrderLine], totalCents: 3998, shippingAddress: address });
  stream.add('ShippingAddressUpdated', shipped, start + 2_000, { shippingAddress: { ...address, line2: 'Flat 3' } });
  for (const order of sameMs) stream.add('OrderPlaced', order, start + 3_000, { items: lines, totalCents: 4497, shippingAddress: address });
  stream.add('OrderCancelled', cancelled, start + 4_000, { reason: 'changed my mind', items: [lines[0] as OrderLine], totalCents: 3998 });
  stream.add('OrderShipped', shipped, start + 5_000, { carrier: 'DHL', trackingNumber: 'JD0001' });
  stream.add('OrderShipped', sameMs[1] as { orderId: string; customerId: string }, start + 6_000, { carrier: null, trackingNumber: null });
  return { stream, customers: [ada, bob], orders: [shipped, cancelled, ...sameMs], shipped, cancelled, sameMs };
}
