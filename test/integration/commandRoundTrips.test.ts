// Round trips to Postgres per command, counted on the wire: the command API's pool connects
// through a proxy (bench/roundTrips/postgresRoundTripProxy.ts) that counts how many times a
// connection sent something after having heard from the server. Every command kind takes at most
// 3 (ARCHITECTURE.md, "Numbers to reach"): a count, not a timing. Also here, the guard that makes
// it safe to send a command's COMMIT in the same round trip as its write statement.
import pg from 'pg';
import t, { type Test } from 'tap';
import { COMMAND_KINDS, commandRoundTrips, type SendCommand } from '../../bench/roundTrips/commandRoundTrips.ts';
import { PostgresRoundTripProxy, type RoundTripCount } from '../../bench/roundTrips/postgresRoundTripProxy.ts';
import { updateInventory } from '../../command-api/persistence/inventoryRepository.ts';
import { encodeEvents, writeOutboxRows } from '../../command-api/persistence/outboxWriter.ts';
import { WriteStatement } from '../../command-api/persistence/writeStatement.ts';
import { config } from '../../lib/config.ts';
import { commandApiHarness } from '../support/commandApiHarness.ts';
import { uniqueName } from '../support/stack.ts';

const MAX_ROUND_TRIPS = 3;

const proxy = await PostgresRoundTripProxy.start({ host: config().postgres.host, port: config().postgres.port });
const h = await commandApiHarness({ postgresVia: { host: proxy.host, port: proxy.port } });
t.teardown(async () => {
  await h.close();
  await proxy.close();
});

const send: SendCommand = async (method, url, body, headers) => {
  const response = await h.send(method, url, { body, ...(headers ? { headers } : {}) });
  return { status: response.statusCode, body: response.json() };
};

/** What one request cost, asserting its status. */
async function counted(t: Test, method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown, status: number, headers?: Record<string, string>): Promise<RoundTripCount> {
  const before = proxy.snapshot();
  const response = await send(method, url, body, headers);
  const used = proxy.since(before);
  t.equal(response.status, status, `${method} ${url} answers ${status}: ${JSON.stringify(response.body)}`);
  return used;
}

/** Within the goal, and not zero: a count of 0 would mean the pool went around the proxy. */
function assertWithinGoal(t: Test, what: string, used: RoundTripCount) {
  t.ok(used.roundTrips >= 1 && used.roundTrips <= MAX_ROUND_TRIPS, `${what}: ${used.roundTrips} round trip(s), at most ${MAX_ROUND_TRIPS}`);
}

const address = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

async function createProduct(initialStock: number): Promise<string> {
  const sku = uniqueName('sku');
  const body = { sku, name: 'Trail shoe', description: 'A shoe for muddy trails', category: 'shoes', brand: 'Outflow', priceCents: 1250, initialStock };
  const response = await send('POST', '/products', body);
  if (response.status !== 201) throw new Error(`product not created: ${JSON.stringify(response.body)}`);
  return sku;
}

t.test('the proxy counts round trips, not statements', async (t) => {
  const client = await h.pool.connect();
  try {
    const count = async (work: () => Promise<unknown>) => {
      const before = proxy.snapshot();
      await work();
      return proxy.since(before).roundTrips;
    };
    t.equal(await count(() => client.query('SELECT 1')), 1, 'one statement: one');
    t.equal(
      await count(async () => {
        await client.query('SELECT 1');
        await client.query('SELECT $1::int', [2]);
        await client.query('SELECT 3');
      }),
      3,
      'three statements, each awaited before the next: three',
    );
    t.equal(
      await count(() => Promise.all([client.query('BEGIN'), client.query('SELECT $1::int', [1]), client.query('COMMIT')])),
      1,
      'three statements sent back to back on the pipelined connection: one',
    );
  } finally {
    client.release();
  }
});

t.test('every command kind takes at most 3 round trips', async (t) => {
  const measured = await commandRoundTrips(proxy, send, { customerId: h.customerId });
  t.same(measured.map((m) => m.kind), [...COMMAND_KINDS], 'every kind was counted');
  for (const { kind, applied } of measured) assertWithinGoal(t, kind, applied);
  t.comment(`round trips per command: ${measured.map((m) => `${m.kind} ${m.applied.roundTrips}`).join(', ')}`);
});

t.test('with an Idempotency-Key, a command and its replay take at most 3 round trips each', async (t) => {
  const measured = await commandRoundTrips(proxy, send, { customerId: h.customerId, idempotencyKeys: true });
  t.same(measured.map((m) => m.kind), [...COMMAND_KINDS], 'every kind was counted');
  for (const { kind, applied, replayed } of measured) {
    assertWithinGoal(t, `${kind} with a key`, applied);
    assertWithinGoal(t, `${kind} replayed`, replayed!);
  }
  t.comment(`applied / replayed: ${measured.map((m) => `${m.kind} ${m.applied.roundTrips}/${m.replayed!.roundTrips}`).join(', ')}`);
});

t.test('a refused command takes at most 3 round trips, also with an Idempotency-Key', async (t) => {
  const sku = await createProduct(1);
  const key = { 'idempotency-key': uniqueName('idem') };
  assertWithinGoal(t, 'a stale If-Match (409)', await counted(t, 'PATCH', `/products/${sku}`, { priceCents: 999 }, 409, { 'if-match': '"7"' }));
  assertWithinGoal(t, 'a SKU that exists (409)', await counted(t, 'POST', '/products', { sku, name: 'n', description: 'd', category: 'c', brand: 'b', priceCents: 100 }, 409, key));
  const order = { customerId: h.customerId, items: [{ sku, quantity: 2 }], shippingAddress: address };
  assertWithinGoal(t, 'insufficient stock (422) with a key', await counted(t, 'POST', '/orders', order, 422, { 'idempotency-key': uniqueName('idem') }));
  assertWithinGoal(t, 'an unknown order (404)', await counted(t, 'POST', `/orders/${crypto.randomUUID()}/cancel`, {}, 404));
});

// CreateProduct reads nothing: its single statement finds a taken SKU and a taken key by the
// unique keys it inserts, and a failed statement wrote nothing.
t.test('CreateProduct in one statement: concurrent retries with one key write once and answer alike', async (t) => {
  const sku = uniqueName('sku');
  const body = { sku, name: 'Trail shoe', description: 'A shoe for muddy trails', category: 'shoes', brand: 'Outflow', priceCents: 1250, initialStock: 3 };
  const headers = { 'idempotency-key': uniqueName('idem') };
  const answers = await Promise.all([1, 2, 3].map(() => h.send('POST', '/products', { body, headers })));
  t.same(answers.map((a) => a.statusCode), [201, 201, 201], 'all accepted');
  t.same(answers.map((a) => a.json()), answers.map(() => ({ aggregateId: sku, version: 1 })), 'the same body');
  t.same(answers.map((a) => a.headers['idempotent-replayed'] ?? 'first').sort(), ['first', 'true', 'true'], 'two answers replay the first');
  const again = await h.send('POST', '/products', { body, headers });
  t.equal(again.headers['idempotent-replayed'], 'true', 'a later retry replays too');
  const rows = async (table: string, column: string) => Number((await h.pool.query(`SELECT count(*) FROM write.${table} WHERE ${column} = $1`, [sku])).rows[0].count);
  t.same(
    { products: await rows('products', 'sku'), inventory: await rows('inventory', 'sku'), outbox: await rows('outbox', 'aggregate_id') },
    { products: 1, inventory: 1, outbox: 2 },
    'written once: the product, its stock, ProductCreated and the restock',
  );
  const reused = await h.send('POST', '/products', { body: { ...body, sku: uniqueName('sku') }, headers });
  t.equal(reused.json().error.code, 'OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED', 'the key with another body is refused');
  t.equal(await rows('outbox', 'aggregate_id'), 2, 'and writes nothing');
});

// The write statement goes out with its COMMIT in the same round trip, so it must refuse whole
// on its own when a row it updates is not at the version the decision read (the row locks of the
// reads make that impossible in the normal course; this is the guard behind them).
t.test('a write statement whose row is not at the version read raises 40001 and writes nothing', async (t) => {
  const sku = await createProduct(5);
  const read = async () => (await h.pool.query('SELECT available, version FROM write.inventory WHERE sku = $1', [sku])).rows[0];
  const outbox = async () => Number((await h.pool.query('SELECT count(*) FROM write.outbox WHERE aggregate_id = $1', [sku])).rows[0].count);
  const before = { row: await read(), outbox: await outbox() };
  t.same(before.row, { available: 5, version: '1' });

  const now = new Date();
  const stale = new WriteStatement();
  // Written as if version 2 had been read: the row is at 1, so the UPDATE matches nothing.
  updateInventory(stale, [{ sku, available: 4, version: 3 }], now);
  const events = encodeEvents(h.codec, [
    { type: 'InventoryAdjusted', aggregateId: sku, aggregateVersion: 3, body: { sku, delta: -1, available: 4, reason: 'damaged', orderId: null } },
  ], { now, correlationId: 'guard-test', causationId: 'guard-test' });
  writeOutboxRows(stale, events, now);
  const failure = await h.pool.query(stale.toQuery()).then(
    () => undefined,
    (error: pg.DatabaseError) => error,
  );
  t.equal(failure?.code, '40001', 'a serialization failure, which the executor retries from its reads');
  t.match(failure?.message, /inventory_rows changed 0 row\(s\), expected 1/);
  t.same({ row: await read(), outbox: await outbox() }, before, 'neither the stock row nor an outbox row was written');
});
