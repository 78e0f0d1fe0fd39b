import t from 'tap';
import { commandApiHarness, CUSTOMER_KEY, OTHER_CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { uniqueName } from '../support/stack.ts';

const h = await commandApiHarness();
t.teardown(() => h.close());

const address = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

async function createProduct(overrides: Record<string, unknown> = {}) {
  const sku = uniqueName('sku');
  const body = { sku, name: 'Trail shoe', description: 'A shoe for muddy trails', category: 'shoes', brand: 'Outflow', priceCents: 1250, initialStock: 10, ...overrides };
  const response = await h.send('POST', '/products', { body });
  if (response.statusCode !== 201) throw new Error(`product not created: ${response.body}`);
  return sku;
}

async function outboxOf(aggregateId: string) {
  const { rows } = await h.pool.query<{ event_type: string; aggregate_version: string; payload: Buffer; event_id: string }>(
    'SELECT event_id, event_type, aggregate_version, payload FROM write.outbox WHERE aggregate_id = $1 ORDER BY aggregate_version',
    [aggregateId],
  );
  return rows;
}

t.test('creating a product writes the row, its inventory and Avro outbox events in one go', async (t) => {
  const sku = uniqueName('sku');
  const response = await h.send('POST', '/products', {
    body: { sku, name: 'Rain jacket', description: 'Keeps you dry', category: 'jackets', brand: 'Outflow', priceCents: 8900, initialStock: 3 },
  });
  t.equal(response.statusCode, 201);
  t.same(response.json(), { aggregateId: sku, version: 1 });
  t.equal(response.headers.location, `/products/${sku}`);
  // The product and its inventory are two aggregates with one id; both start at version 1, so the
  // outbox holds no order between them and they are found by type.
  const written = await outboxOf(sku);
  t.same(written.map((r) => [r.event_type, Number(r.aggregate_version)]).sort(), [['InventoryAdjusted', 1], ['ProductCreated', 1]]);
  const created = written.find((r) => r.event_type === 'ProductCreated')!;
  const decoded = await h.codec.decode(created.payload);
  t.equal(decoded.eventType, 'ProductCreated');
  t.match(decoded.event, { eventId: created.event_id, aggregateId: sku, aggregateVersion: 1, sku, priceCents: 8900, name: 'Rain jacket' });
  const stock = await h.codec.decode(written.find((r) => r.event_type === 'InventoryAdjusted')!.payload);
  t.match(stock.event, { sku, delta: 3, available: 3, reason: 'restock', orderId: null });
});

t.test('a bad body gets 400 naming each bad field, and nothing is written', async (t) => {
  const before = await h.writeCounts();
  const response = await h.send('POST', '/products', { body: { sku: 'bad sku!', name: '', priceCents: -5, colour: 'red' } });
  t.equal(response.statusCode, 400);
  const { error } = response.json();
  t.equal(error.code, 'OUTFLOW_ERR_VALIDATION');
  const fields = error.fields.map((f: { field: string }) => f.field).sort();
  t.same(fields, ['body.brand', 'body.category', 'body.colour', 'body.description', 'body.name', 'body.priceCents', 'body.sku'].sort());
  const orderResponse = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku: 'x', quantity: 0 }], shippingAddress: { ...address, country: 'gb' }, totalCents: 1 } });
  t.equal(orderResponse.statusCode, 400);
  t.same(orderResponse.json().error.fields.map((f: { field: string }) => f.field).sort(), ['body.items[0].quantity', 'body.shippingAddress.country', 'body.totalCents']);
  const malformed = await h.send('POST', '/products', { body: '{"sku": ', headers: { 'content-type': 'application/json' } });
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.json().error.code, 'OUTFLOW_ERR_BAD_REQUEST');
  t.same(await h.writeCounts(), before);
});

t.test('authentication and authorization: 401, 403 and 404 write nothing', async (t) => {
  const sku = await createProduct();
  const before = await h.writeCounts();
  const productBody = { sku: uniqueName('sku'), name: 'n', description: 'd', category: 'c', brand: 'b', priceCents: 100 };
  t.equal((await h.send('POST', '/products', { key: null, body: productBody })).statusCode, 401);
  t.equal((await h.send('POST', '/products', { key: 'not-a-real-key-at-all-0000', body: productBody })).json().error.code, 'OUTFLOW_ERR_UNAUTHENTICATED');
  const asCustomer = await h.send('POST', '/products', { key: CUSTOMER_KEY, body: productBody });
  t.equal(asCustomer.statusCode, 403);
  t.equal(asCustomer.json().error.code, 'OUTFLOW_ERR_FORBIDDEN');
  const forOther = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { customerId: h.otherCustomerId, items: [{ sku, quantity: 1 }], shippingAddress: address } });
  t.equal(forOther.statusCode, 403);
  t.same(await h.writeCounts(), before);

  const placed = await h.send('POST', '/orders', { key: OTHER_CUSTOMER_KEY, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } });
  t.equal(placed.statusCode, 201);
  const afterPlacing = await h.writeCounts();
  const orderId = placed.json().aggregateId;
  t.equal((await h.send('POST', `/orders/${orderId}/cancel`, { key: CUSTOMER_KEY, body: {} })).statusCode, 404, "another customer's order is 404, like one that does not exist");
  t.equal((await h.send('POST', `/orders/${orderId}/ship`, { key: OTHER_CUSTOMER_KEY, body: {} })).statusCode, 403);
  t.same(await h.writeCounts(), afterPlacing);
});

t.test('placing an order computes totals on the server and reserves stock in the same transaction', async (t) => {
  const shoe = await createProduct({ priceCents: 1250, initialStock: 5 });
  const sock = await createProduct({ priceCents: 300, initialStock: 5, category: 'socks' });
  const response = await h.send('POST', '/orders', {
    key: CUSTOMER_KEY,
    body: { items: [{ sku: shoe, quantity: 2 }, { sku: sock, quantity: 3 }, { sku: shoe, quantity: 1 }], shippingAddress: address },
  });
  t.equal(response.statusCode, 201);
  const { aggregateId: orderId, version } = response.json();
  t.equal(version, 1);
  t.equal(response.headers.location, `/orders/${orderId}`);
  const [placed] = await outboxOf(orderId);
  const decoded = await h.codec.decode(placed!.payload);
  t.equal(decoded.eventType, 'OrderPlaced');
  t.match(decoded.event, {
    orderId, customerId: h.customerId, totalCents: 3 * 1250 + 3 * 300,
    items: [
      { sku: shoe, quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500, category: 'shoes' },
      { sku: sock, quantity: 3, unitPriceCents: 300, lineTotalCents: 900, category: 'socks' },
      { sku: shoe, quantity: 1, lineTotalCents: 1250 },
    ],
    shippingAddress: { ...address, line2: null },
  });
  const shoeStock = await outboxOf(shoe);
  const reservation = await h.codec.decode(shoeStock.at(-1)!.payload);
  t.match(reservation.event, { sku: shoe, delta: -3, available: 2, reason: 'reserved', orderId, aggregateVersion: 2 });
  const { rows } = await h.pool.query('SELECT sku, available FROM write.inventory WHERE sku = ANY($1) ORDER BY sku', [[shoe, sock].sort()]);
  t.same(Object.fromEntries(rows.map((r) => [r.sku, r.available])), { [shoe]: 2, [sock]: 2 });
});

t.test('business rules refuse with 422 and a rule code, writing nothing', async (t) => {
  const sku = await createProduct({ initialStock: 1 });
  const before = await h.writeCounts();
  const tooMany = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 2 }], shippingAddress: address } });
  t.equal(tooMany.statusCode, 422);
  t.match(tooMany.json().error, { code: 'OUTFLOW_ERR_INVARIANT', details: { rule: 'insufficient_stock', sku, available: 1, requested: 2 } });
  const unknown = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku: 'no-such-sku', quantity: 1 }], shippingAddress: address } });
  t.match(unknown.json().error.details, { rule: 'unknown_sku' });
  const negative = await h.send('POST', `/inventory/${sku}/adjustments`, { body: { delta: -2, reason: 'damaged' } });
  t.match(negative.json().error.details, { rule: 'insufficient_stock' });
  const duplicate = await h.send('POST', '/products', { body: { sku, name: 'n', description: 'd', category: 'c', brand: 'b', priceCents: 100 } });
  t.equal(duplicate.statusCode, 409);
  t.equal(duplicate.json().error.code, 'OUTFLOW_ERR_ALREADY_EXISTS');
  t.same(await h.writeCounts(), before);
});

t.test('two concurrent orders for the last unit: exactly one succeeds', async (t) => {
  const sku = await createProduct({ initialStock: 1 });
  const order = () => h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } });
  const responses = await Promise.all([order(), order(), order(), order()]);
  t.same(responses.map((r) => r.statusCode).sort(), [201, 422, 422, 422]);
  const { rows } = await h.pool.query('SELECT available FROM write.inventory WHERE sku = $1', [sku]);
  t.equal(rows[0].available, 0);
  const reservations = (await outboxOf(sku)).filter((r) => r.event_type === 'InventoryAdjusted');
  t.equal(reservations.length, 2, 'the restock and one reservation');
});

t.test('Idempotency-Key: a retry replays the stored answer; a different body with the key is refused', async (t) => {
  const sku = await createProduct();
  const key = uniqueName('idem');
  const body = { items: [{ sku, quantity: 1 }], shippingAddress: address };
  const first = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body, headers: { 'idempotency-key': key } });
  const before = await h.writeCounts();
  const retries = await Promise.all([1, 2, 3].map(() => h.send('POST', '/orders', { key: CUSTOMER_KEY, body, headers: { 'idempotency-key': key } })));
  for (const retry of retries) {
    t.equal(retry.statusCode, 201);
    t.same(retry.json(), first.json());
    t.equal(retry.headers['idempotent-replayed'], 'true');
  }
  t.same(await h.writeCounts(), before, 'retries write nothing');
  const reused = await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { ...body, items: [{ sku, quantity: 2 }] }, headers: { 'idempotency-key': key } });
  t.equal(reused.statusCode, 422);
  t.equal(reused.json().error.code, 'OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED');
  t.same(await h.writeCounts(), before);
});

t.test('If-Match: a stale version gets 409 with the current one', async (t) => {
  const sku = await createProduct();
  const stale = await h.send('PATCH', `/products/${sku}`, { body: { priceCents: 999 }, headers: { 'if-match': '"7"' } });
  t.equal(stale.statusCode, 409);
  t.match(stale.json().error, { code: 'OUTFLOW_ERR_CONCURRENCY', details: { expectedVersion: 7, currentVersion: 1 } });
  const fresh = await h.send('PATCH', `/products/${sku}`, { body: { priceCents: 999 }, headers: { 'if-match': '"1"' } });
  t.equal(fresh.statusCode, 200);
  t.same(fresh.json(), { aggregateId: sku, version: 2 });
  const updated = await h.codec.decode((await outboxOf(sku)).find((r) => r.event_type === 'ProductUpdated')!.payload);
  t.match(updated.event, { priceCents: 999, name: 'Trail shoe', aggregateVersion: 2 });
});

t.test('order lifecycle: cancel releases stock; shipped or cancelled orders refuse changes', async (t) => {
  const sku = await createProduct({ initialStock: 4 });
  const placed = (await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 3 }], shippingAddress: address } })).json();
  const readdressed = await h.send('PUT', `/orders/${placed.aggregateId}/shipping-address`, { key: CUSTOMER_KEY, body: { ...address, city: 'Bath' } });
  t.same(readdressed.json(), { aggregateId: placed.aggregateId, version: 2 });
  const cancelled = await h.send('POST', `/orders/${placed.aggregateId}/cancel`, { key: CUSTOMER_KEY, body: { reason: 'changed my mind' } });
  t.same(cancelled.json(), { aggregateId: placed.aggregateId, version: 3 });
  const { rows } = await h.pool.query('SELECT available FROM write.inventory WHERE sku = $1', [sku]);
  t.equal(rows[0].available, 4, 'stock released');
  const again = await h.send('POST', `/orders/${placed.aggregateId}/cancel`, { key: CUSTOMER_KEY });
  t.match(again.json().error.details, { rule: 'order_cancelled' });

  const second = (await h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } })).json();
  const shipped = await h.send('POST', `/orders/${second.aggregateId}/ship`, { body: { carrier: 'DHL', trackingNumber: 'TRK1' } });
  t.same(shipped.json(), { aggregateId: second.aggregateId, version: 2 });
  const late = await h.send('PUT', `/orders/${second.aggregateId}/shipping-address`, { key: CUSTOMER_KEY, body: address });
  t.match(late.json().error.details, { rule: 'order_shipped' });
  t.equal((await h.send('POST', `/orders/${crypto.randomUUID()}/cancel`, { key: CUSTOMER_KEY })).statusCode, 404);
});

t.test('OpenAPI document, health and metrics', async (t) => {
  const doc = (await h.send('GET', '/docs/openapi.json', { key: null })).json();
  t.equal(doc.openapi.startsWith('3.'), true);
  for (const path of ['/products', '/products/{sku}', '/inventory/{sku}/adjustments', '/orders', '/orders/{id}/cancel', '/orders/{id}/ship', '/orders/{id}/shipping-address']) {
    t.ok(doc.paths[path], `${path} is documented`);
  }
  for (const url of ['/health/ready', '/health']) t.same((await h.send('GET', url, { key: null })).json(), { status: 'ok', dependencies: { writePostgres: 'ok' } }, url);
  t.same((await h.send('GET', '/health/live', { key: null })).json(), { status: 'ok' });
  const metrics = (await h.send('GET', '/metrics', { key: null })).body;
  t.match(metrics, /outflow_command_api_requests_total\{route="\/orders",method="POST",status="201"/);
  t.match(metrics, /outflow_command_api_request_duration_seconds_bucket/);
});
