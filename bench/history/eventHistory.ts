// The preloaded event history the throughput, rebuild and scale-out scenarios replay: a shop's
// life in the shape the command API writes it (products created and re-priced, stock reserved
// and released per order line, orders placed, re-addressed, shipped and cancelled), Avro in the
// Confluent wire format with the outbox router's headers, on private copies of the three event
// topics. The generator is seeded, and it keeps each order's final status and version so a
// scenario can check the read model it built against what the history says.
import crypto from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import type { Config } from '../../lib/config.ts';
import { AGGREGATE_TYPES, topicOf, type AggregateType, type EventType } from '../../schemas/eventCatalog.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import type { EventPayloads, OrderLine, ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { OrderStatus } from '../../schemas/orderState.ts';
import type { BenchConnections } from '../benchConnections.ts';
import { seededRandom } from '../../lib/seededRandom.ts';

export interface OrderOutcome {
  status: OrderStatus;
  version: number;
  customerId: string;
}

/** One order event as a flat row: what the JDBC sink reference writes for the Postgres store. */
export interface OrderEventRow {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  totalCents: number;
  itemCount: number;
  occurredAt: number;
  version: number;
}

export interface EventHistory {
  /** The catalog topic (events.order, ...) → its private copy holding the history. */
  topics: Readonly<Record<string, string>>;
  /** Messages per private topic. */
  eventsPerTopic: Readonly<Record<string, number>>;
  events: number;
  orders: ReadonlyMap<string, OrderOutcome>;
  /** Every order event in the order it was produced (re-addressed orders keep their status). */
  orderEvents: readonly OrderEventRow[];
  products: number;
  customers: number;
  loadSeconds: number;
  /** Deletes the private topics. */
  drop(): Promise<void>;
}

const CATEGORIES = ['kitchen', 'shoes', 'garden', 'books', 'toys', 'sports'];
const BRANDS = ['Outflow', 'Acme', 'Northwind', 'Globex'];
const DAY_MS = 86_400_000;

/** A product of the history: its catalog fields, its version, and its stock at its inventory version. */
interface HistoryProduct extends EventBody<'ProductCreated'> {
  version: number;
  stock: number;
  stockVersion: number;
}

// ProductCreated and ProductUpdated carry the same fields: the complete catalog state.
function productBody({ sku, name, description, category, brand, priceCents }: HistoryProduct): EventBody<'ProductCreated' | 'ProductUpdated'> {
  return { sku, name, description, category, brand, priceCents };
}

/** The envelope fields emit stamps: each event is a flow of its own, caused by no command. */
type StampedField = 'eventId' | 'correlationId' | 'causationId';
/** An event type and its payload less the stamped fields: a union, so one type's payload fits only that type. */
type EmitArguments = { [T in EventType]: [type: T, event: Omit<EventPayloads[T], StampedField>] }[EventType];

/** Sends messages in batches, a few batches in flight at once. */
class BatchingSender {
  private readonly batches = new Map<string, Message[]>();
  private readonly inFlight = new Set<Promise<unknown>>();
  constructor(private readonly producer: Producer, private readonly batchSize = 4000, private readonly maxInFlight = 4) {}

  async add(topic: string, message: Message): Promise<void> {
    const batch = this.batches.get(topic) ?? [];
    batch.push(message);
    this.batches.set(topic, batch);
    if (batch.length >= this.batchSize) await this.flushTopic(topic);
  }

  private async flushTopic(topic: string): Promise<void> {
    const messages = this.batches.get(topic);
    if (!messages?.length) return;
    this.batches.set(topic, []);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    const sent: Promise<unknown> = this.producer.send({ topic, acks: -1, messages }).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  async flush(): Promise<void> {
    for (const topic of this.batches.keys()) await this.flushTopic(topic);
    await Promise.all(this.inFlight);
  }
}

export async function preloadEventHistory(options: {
  config: Config;
  connections: BenchConnections;
  runId: string;
  events: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<EventHistory> {
  const { config, connections, runId } = options;
  const started = performance.now();
  const random = seededRandom(options.seed ?? 20261123);
  const topics = Object.fromEntries(AGGREGATE_TYPES.map((aggregate) => [topicOf(aggregate), `bench.${runId}.${topicOf(aggregate)}`]));
  await connections.admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: config.events.partitions, replicationFactor: 1 })),
  });
  const drop = () => connections.admin.deleteTopics({ topics: Object.values(topics) });
  const codec = await EventCodec.connect(config);
  const producer = connections.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sender = new BatchingSender(producer);
  const eventsPerTopic: Record<string, number> = Object.fromEntries(Object.values(topics).map((t) => [t, 0]));
  let emitted = 0;
  const baseTime = Date.UTC(2026, 0, 1);

  const emit = async (aggregate: AggregateType, ...[type, event]: EmitArguments) => {
    const eventId = crypto.randomUUID();
    const topic = topics[topicOf(aggregate)]!;
    await sender.add(topic, {
      key: event.aggregateId,
      value: codec.encode(type, { ...event, eventId, correlationId: eventId, causationId: null }),
      headers: { eventId, eventType: type, aggregateVersion: String(event.aggregateVersion) },
    });
    eventsPerTopic[topic]!++;
    emitted++;
    if (emitted % 20_000 === 0) options.onProgress?.(emitted, options.events);
  };

  try {
    const productCount = Math.max(50, Math.round(options.events / 400));
    const customerCount = Math.max(20, Math.round(options.events / 25));
    const products = Array.from({ length: productCount }, (_, i): HistoryProduct => {
      const name = `Product ${i}`;
      const category = CATEGORIES[i % CATEGORIES.length]!;
      return {
        sku: `bench-${runId}-sku-${i}`,
        name,
        description: `The ${name}, in ${category}`,
        category,
        brand: BRANDS[i % BRANDS.length]!,
        priceCents: 100 + Math.floor(random() * 20_000),
        version: 1,
        stock: 1_000_000,
        stockVersion: 1,
      };
    });
    for (const p of products) {
      await emit('product', 'ProductCreated', { aggregateId: p.sku, aggregateVersion: 1, occurredAt: baseTime, ...productBody(p) });
      await emit('inventory', 'InventoryAdjusted', { aggregateId: p.sku, aggregateVersion: 1, occurredAt: baseTime, sku: p.sku, delta: p.stock, available: p.stock, reason: 'restock', orderId: null });
    }
    const orders = new Map<string, OrderOutcome>();
    const orderEvents: OrderEventRow[] = [];
    const address: ShippingAddress = { name: 'Bench Customer', line1: '1 Load St', line2: null, city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' };
    let n = 0;
    while (emitted < options.events) {
      const at = baseTime + Math.floor((n / Math.max(1, options.events / 3)) * 30 * DAY_MS) + n;
      if (random() < 0.02) {
        const p = products[Math.floor(random() * products.length)]!;
        p.version++;
        p.priceCents = 100 + Math.floor(random() * 20_000);
        await emit('product', 'ProductUpdated', { aggregateId: p.sku, aggregateVersion: p.version, occurredAt: at, ...productBody(p) });
      }
      const orderId = `bench-${runId}-order-${n}`;
      const customerId = `bench-${runId}-customer-${Math.floor(random() * customerCount)}`;
      const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => products[Math.floor(random() * products.length)]!)
        .filter((p, i, all) => all.indexOf(p) === i)
        .map((p) => ({ product: p, quantity: 1 + Math.floor(random() * 3) }));
      const items = lines.map(({ product: p, quantity }): OrderLine => ({ sku: p.sku, name: p.name, category: p.category, quantity, unitPriceCents: p.priceCents, lineTotalCents: p.priceCents * quantity }));
      const totalCents = items.reduce((sum, line) => sum + line.lineTotalCents, 0);
      await emit('order', 'OrderPlaced', { aggregateId: orderId, aggregateVersion: 1, occurredAt: at, orderId, customerId, items, totalCents, shippingAddress: address });
      const row = (status: OrderOutcome['status'], version: number, occurredAt: number) => orderEvents.push({ orderId, customerId, status, totalCents, itemCount: items.length, occurredAt, version });
      row('placed', 1, at);
      for (const { product: p, quantity } of lines) {
        p.stock -= quantity;
        await emit('inventory', 'InventoryAdjusted', { aggregateId: p.sku, aggregateVersion: ++p.stockVersion, occurredAt: at, sku: p.sku, delta: -quantity, available: p.stock, reason: 'reserved', orderId });
      }
      const outcome: OrderOutcome = { status: 'placed', version: 1, customerId };
      const fate = random();
      if (fate < 0.05) {
        outcome.version++;
        await emit('order', 'ShippingAddressUpdated', { aggregateId: orderId, aggregateVersion: outcome.version, occurredAt: at + 1, orderId, customerId, shippingAddress: { ...address, line2: 'Flat 2' } });
        row('placed', outcome.version, at + 1);
      }
      if (fate < 0.1) {
        outcome.version++;
        outcome.status = 'cancelled';
        await emit('order', 'OrderCancelled', { aggregateId: orderId, aggregateVersion: outcome.version, occurredAt: at + 2, orderId, customerId, reason: 'changed my mind', items, totalCents });
        row('cancelled', outcome.version, at + 2);
        for (const { product: p, quantity } of lines) {
          p.stock += quantity;
          await emit('inventory', 'InventoryAdjusted', { aggregateId: p.sku, aggregateVersion: ++p.stockVersion, occurredAt: at + 2, sku: p.sku, delta: quantity, available: p.stock, reason: 'released', orderId });
        }
      } else if (fate < 0.3) {
        outcome.version++;
        outcome.status = 'shipped';
        await emit('order', 'OrderShipped', { aggregateId: orderId, aggregateVersion: outcome.version, occurredAt: at + 3, orderId, customerId, carrier: 'DHL', trackingNumber: null });
        row('shipped', outcome.version, at + 3);
      }
      orders.set(orderId, outcome);
      n++;
    }
    await sender.flush();
    options.onProgress?.(emitted, options.events);
    return {
      topics,
      eventsPerTopic,
      events: emitted,
      orders,
      orderEvents,
      products: productCount,
      customers: customerCount,
      loadSeconds: (performance.now() - started) / 1000,
      drop,
    };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  } finally {
    await producer.disconnect();
  }
}
