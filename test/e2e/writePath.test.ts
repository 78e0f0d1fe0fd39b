// The write path end to end: HTTP command → write tables + outbox → Debezium → Kafka,
// decoded through the registry like any Confluent consumer would.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { applySource } from '../../connectors/applyConnector.ts';
import { COMMAND_API_SOURCE } from '../../connectors/sourceConnector.ts';
import { commandApiHarness, CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';
import { TopicReader, type ReadMessage } from '../support/topicReader.ts';

await ensureStack();
const h = await commandApiHarness();
await applySource(config(), COMMAND_API_SOURCE);
const reader = await TopicReader.start(['events.order', 'events.product', 'events.inventory']);
t.teardown(async () => {
  await reader.close();
  await h.close();
});

const address = { name: 'Grace Hopper', line1: '1 Navy Way', line2: 'Apt 2', city: 'Arlington', postalCode: '22202', country: 'US' };

async function createProduct(priceCents: number, initialStock: number) {
  const sku = uniqueName('e2e-sku');
  const response = await h.send('POST', '/products', {
    body: { sku, name: `Product ${sku}`, description: 'e2e', category: 'e2e', brand: 'Outflow', priceCents, initialStock },
  });
  if (response.statusCode !== 201) throw new Error(response.body);
  return sku;
}

t.test('POST /orders becomes one OrderPlaced on events.order, keyed by the order, decodable through the registry', async (t) => {
  const sku = await createProduct(4200, 5);
  const response = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 2 }], shippingAddress: address } });
  t.equal(response.statusCode, 201);
  const { aggregateId: orderId } = response.json();

  const messages = await reader.waitFor('the OrderPlaced message', (all) => all.some((m) => m.key === orderId));
  const forOrder = messages.filter((m) => m.key === orderId);
  t.equal(forOrder.length, 1);
  const message = forOrder[0]!;
  t.equal(message.topic, 'events.order');
  t.equal(message.headers.eventType, 'OrderPlaced');
  t.equal(message.headers.aggregateVersion, '1');
  const { rows } = await h.pool.query('SELECT event_id, payload FROM write.outbox WHERE aggregate_id = $1', [orderId]);
  t.equal(message.headers.eventId, rows[0].event_id);
  t.ok(message.value.equals(rows[0].payload), 'the Avro bytes pass through Debezium untouched');

  const decoded = await h.codec.decode(message.value);
  t.equal(decoded.eventType, 'OrderPlaced');
  t.match(decoded.event, {
    eventId: rows[0].event_id, aggregateId: orderId, aggregateVersion: 1, orderId, customerId: h.customerId,
    items: [{ sku, quantity: 2, unitPriceCents: 4200, lineTotalCents: 8400 }],
    totalCents: 8400,
    shippingAddress: address,
  });

  const stock = await reader.waitFor('the reservation', (all) => all.some((m) => m.key === sku && m.headers.aggregateVersion === '2'));
  const reservation = await h.codec.decode(stock.find((m) => m.key === sku && m.headers.aggregateVersion === '2')!.value);
  t.match(reservation.event, { reason: 'reserved', delta: -2, available: 3, orderId });
});

t.test('1,000 concurrent commands: exactly one event per accepted command, none for rejected ones', async (t) => {
  const skus = await Promise.all(Array.from({ length: 10 }, () => createProduct(500, 60)));
  const attempts = Array.from({ length: 1000 }, (_, i) => ({ sku: skus[i % skus.length]!, quantity: 1 + (i % 2) }));
  // A burst this size on 10 hot rows can queue a command past the pool's or the lock's timeout:
  // it is answered 503 with Retry-After, and retried with its Idempotency-Key as docs/operations.md
  // tells clients to, so each command's final answer is its one decision.
  let unavailable = 0;
  let withoutRetryAfter = 0;
  const placeOnce = async (line: (typeof attempts)[number]) => {
    const headers = { 'idempotency-key': crypto.randomUUID() };
    for (let attempt = 1; ; attempt++) {
      const reply = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [line], shippingAddress: address }, headers });
      if (reply.statusCode !== 503 || attempt === 20) return reply;
      unavailable++;
      const retryAfter = Number(reply.headers['retry-after']);
      if (!(retryAfter > 0)) withoutRetryAfter++;
      await sleep((retryAfter > 0 ? retryAfter : 1) * 1000);
    }
  };
  const responses = await Promise.all(attempts.map(placeOnce));
  const accepted = responses.filter((r) => r.statusCode === 201).map((r) => r.json().aggregateId as string);
  const rejected = responses.filter((r) => r.statusCode !== 201);
  t.ok(accepted.length > 0 && rejected.length > 0, `${accepted.length} accepted, ${rejected.length} rejected for lack of stock (${unavailable} answers of 503 retried)`);
  t.equal(withoutRetryAfter, 0, 'every 503 says when to retry');
  const unexpected = rejected.filter((r) => !(r.statusCode === 422 && r.json().error.details.rule === 'insufficient_stock'));
  t.same(unexpected.map((r) => `${r.statusCode} ${r.body.slice(0, 200)}`), [], 'every refusal is for lack of stock');

  const acceptedSet = new Set(accepted);
  t.equal(acceptedSet.size, accepted.length, 'every accepted order has an id of its own');
  // At the source: exactly one OrderPlaced outbox row per accepted order. Debezium publishes
  // outbox rows only, so no second OrderPlaced (with a new event id) can reach the topic later.
  const { rows: placedRows } = await h.pool.query<{ aggregate_id: string; event_id: string }>(
    "SELECT aggregate_id, event_id FROM write.outbox WHERE event_type = 'OrderPlaced' AND aggregate_id = ANY($1)",
    [accepted],
  );
  t.same(placedRows.map((r) => r.aggregate_id).sort(), [...accepted].sort(), 'exactly one OrderPlaced outbox row per accepted order');
  const outboxEventOf = new Map(placedRows.map((r) => [r.aggregate_id, r.event_id]));

  // On the topic: every accepted order arrives, and every message keyed by an order is that
  // order's one outbox event (a redelivery repeats its event id and its bytes exactly).
  const orderEvents = () => reader.messages.filter((m) => m.topic === 'events.order' && acceptedSet.has(m.key));
  await reader.waitFor(`${accepted.length} OrderPlaced events`, () => new Set(orderEvents().map((m) => m.key)).size === accepted.length, 120_000);
  const eventIdsByOrder = new Map<string, Set<string>>();
  const byEventId = new Map<string, Buffer>();
  const redeliveriesDiffering: string[] = [];
  for (const m of orderEvents()) {
    const event = `${m.headers.eventType} ${m.headers.eventId}`;
    eventIdsByOrder.set(m.key, (eventIdsByOrder.get(m.key) ?? new Set()).add(event));
    const seen = byEventId.get(event);
    if (seen && !seen.equals(m.value)) redeliveriesDiffering.push(event);
    byEventId.set(event, m.value);
  }
  t.same(
    [...eventIdsByOrder].filter(([orderId, ids]) => ids.size !== 1 || !ids.has(`OrderPlaced ${outboxEventOf.get(orderId)}`)),
    [],
    'exactly one OrderPlaced per accepted order on events.order: its outbox event, by event id',
  );
  t.same(redeliveriesDiffering, [], 'a redelivery is an exact duplicate');

  // Stock: each SKU's reservation events on events.inventory add up to what was sold.
  const { rows } = await h.pool.query<{ sku: string; available: number }>('SELECT sku, available FROM write.inventory WHERE sku = ANY($1)', [skus]);
  const expectedReservations = await h.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM write.outbox WHERE aggregate_id = ANY($1) AND event_type = 'InventoryAdjusted'",
    [skus],
  );
  const stockEvents = () => new Set(reader.messages.filter((m) => m.topic === 'events.inventory' && skus.includes(m.key)).map((m) => m.headers.eventId));
  await reader.waitFor('every inventory event', () => stockEvents().size === Number(expectedReservations.rows[0]!.n), 120_000);
  t.equal(stockEvents().size, accepted.length + skus.length, 'one restock per SKU plus one reservation per accepted order');
  t.ok(rows.every((r) => r.available >= 0));
  t.equal(rows.reduce((sum, r) => sum + (60 - r.available), 0), attempts.filter((_, i) => responses[i]!.statusCode === 201).reduce((s, l) => s + l.quantity, 0));
});

t.test('a rejected command publishes nothing', async (t) => {
  const sku = await createProduct(100, 1);
  const marker = uniqueName('rejected');
  const rejected = await h.send('POST', '/orders', {
    key: CUSTOMER_KEY,
    body: { items: [{ sku, quantity: 5 }], shippingAddress: { ...address, name: marker } },
  });
  t.equal(rejected.statusCode, 422);
  // A later accepted command on the same SKU proves the stream has moved past the rejection.
  const accepted = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } });
  const orderId = accepted.json().aggregateId;
  await reader.waitFor('the accepted order', (all) => all.some((m) => m.key === orderId));
  const stockOf = (all: ReadMessage[]) => all.filter((m) => m.topic === 'events.inventory' && m.key === sku);
  await reader.waitFor('its reservation', (all) => stockOf(all).length >= 2);
  t.same(stockOf(reader.messages).map((m) => m.headers.aggregateVersion).sort(), ['1', '2'], 'restock and the accepted reservation only');
  // Other tests put deliberately undecodable messages on events.order: skip those.
  const placed = reader.messages.filter((m) => m.topic === 'events.order' && m.headers.eventType === 'OrderPlaced');
  const decoded = await Promise.all(placed.map((m) => h.codec.decode(m.value).catch(() => undefined)));
  t.notOk(
    decoded.some((d) => d?.eventType === 'OrderPlaced' && d.event.shippingAddress.name === marker),
    'no OrderPlaced carries the rejected order',
  );
});
