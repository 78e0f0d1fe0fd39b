// Late failures of the command API, on the real write Postgres and registry: a fault after the
// aggregates were read and locked and the decision made (the payload encoder), or after the state
// rows are written (the outbox insert, the COMMIT), leaves every write table exactly as it was; two requests racing with one Idempotency-Key write once; a deadlock
// is retried and applied once.
//
// The harness runs on a write database of its own (created and dropped here), so whole tables
// are compared before and after, and the triggers and row locks of these tests reach nobody else.
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import t, { type Test } from 'tap';
import { EventInvalid } from '../../lib/errors.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { EventType } from '../../schemas/eventCatalog.ts';
import type { EventPayloads } from '../../schemas/generated/eventTypes.ts';
import { commandApiHarness, CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { lockHolder, untilCommandsWait } from '../support/lockWaits.ts';
import { uniqueName } from '../support/stack.ts';

/** The encoder fault: encoding throws for the events this picks; none while it is undefined. */
let encodingFault: (<T extends EventType>(type: T, event: EventPayloads[T]) => boolean) | undefined;

const h = await commandApiHarness({
  ownWriteDatabase: true,
  encoder: (codec) => ({
    encode<T extends EventType>(type: T, event: EventPayloads[T]): Buffer {
      if (encodingFault?.(type, event)) throw new EventInvalid(type, ['injected by the test']);
      return codec.encode(type, event);
    },
  }),
});
t.teardown(() => h.close());

const address = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

async function createProducts(count: number, initialStock: number): Promise<string[]> {
  const skus: string[] = [];
  for (let i = 0; i < count; i++) {
    const sku = uniqueName('sku');
    const response = await h.send('POST', '/products', {
      body: { sku, name: 'Trail shoe', description: 'A shoe for muddy trails', category: 'shoes', brand: 'Outflow', priceCents: 1250, initialStock },
    });
    if (response.statusCode !== 201) throw new Error(`product not created: ${response.body}`);
    skus.push(sku);
  }
  // The order in which PlaceOrder locks inventory rows.
  return skus.sort();
}

function placeOrder(skus: readonly string[], headers: Record<string, string> = {}, quantity = 1) {
  return h.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: skus.map((sku) => ({ sku, quantity })), shippingAddress: address }, headers });
}

async function ordersOfCustomer(): Promise<string[]> {
  const { rows } = await h.pool.query<{ order_id: string }>('SELECT order_id FROM write.orders WHERE customer_id = $1 ORDER BY order_id', [h.customerId]);
  return rows.map((r) => r.order_id);
}

async function outboxEventsOf(aggregateIds: readonly string[]): Promise<string[]> {
  const { rows } = await h.pool.query<{ aggregate_id: string; event_type: string; aggregate_version: string }>(
    'SELECT aggregate_id, event_type, aggregate_version FROM write.outbox WHERE aggregate_id = ANY($1) ORDER BY aggregate_id, aggregate_version',
    [[...aggregateIds]],
  );
  return rows.map((r) => `${r.aggregate_id} ${r.event_type} v${r.aggregate_version}`);
}

async function stockOf(skus: readonly string[]): Promise<Record<string, number>> {
  const { rows } = await h.pool.query<{ sku: string; available: number }>('SELECT sku, available FROM write.inventory WHERE sku = ANY($1)', [[...skus]]);
  return Object.fromEntries(rows.map((r) => [r.sku, r.available]));
}

function assertInternalError(t: Test, response: LightMyRequestResponse) {
  t.equal(response.statusCode, 500, 'an internal fault answers 500');
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json();
  t.same(Object.keys(body), ['error']);
  t.same(Object.keys(body.error).sort(), ['code', 'message'], 'the JSON error shape, nothing more');
  t.equal(body.error.code, 'OUTFLOW_ERR_INTERNAL');
  t.match(body.error.message, /^internal error; see the server log for the request id \S+$/);
  t.notMatch(response.body, /injected/, 'no internals leak into the answer');
}

/**
 * After the fault is gone, the same request with the same Idempotency-Key is a first request:
 * nothing of the failed attempt (its idempotency record included) survived.
 */
async function assertRetryAppliesOnce(t: Test, skus: readonly string[], key: string) {
  const ordersBefore = await ordersOfCustomer();
  const stockBefore = await stockOf(skus);
  const retry = await placeOrder(skus, { 'idempotency-key': key });
  t.equal(retry.statusCode, 201, 'the retry is accepted');
  t.equal(retry.headers['idempotent-replayed'], undefined, 'the failed attempt stored no answer to replay');
  const orderId: string = retry.json().aggregateId;
  t.same(await ordersOfCustomer(), [...ordersBefore, orderId].sort());
  t.same(await outboxEventsOf([orderId]), [`${orderId} OrderPlaced v1`]);
  t.same(await stockOf(skus), Object.fromEntries(skus.map((sku) => [sku, stockBefore[sku]! - 1])));
}

/** A function, trigger and fired-counter of this test's own, dropped when the test ends. */
async function installOutboxFault(
  t: Test,
  trigger: (name: string, fn: string) => string,
  condition: string,
): Promise<{ fired(): Promise<number>; remove(): Promise<void> }> {
  const name = uniqueName('outbox_fault').replaceAll('-', '_');
  const fn = `public.${name}`;
  // nextval is not rolled back: it counts the faults even though their transactions are.
  await h.pool.query(`
    CREATE SEQUENCE ${fn}_fired;
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN
        PERFORM nextval('${fn}_fired');
        RAISE EXCEPTION 'injected fault for outbox row of %', NEW.aggregate_id;
      END IF;
      RETURN NEW;
    END $$;
    ${trigger(name, fn)};`);
  const remove = async () => {
    await h.pool.query(`DROP TRIGGER IF EXISTS ${name} ON write.outbox; DROP FUNCTION IF EXISTS ${fn}(); DROP SEQUENCE IF EXISTS ${fn}_fired`);
  };
  t.teardown(remove);
  return {
    remove,
    async fired() {
      const { rows } = await h.pool.query<{ fired: string }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS fired FROM ${fn}_fired`);
      return Number(rows[0]!.fired);
    },
  };
}

const lit = (value: string) => pg.escapeLiteral(value);

/**
 * An order placed under the fault answers the internal error, the fault fired exactly once, and
 * every write table is as before; with the fault removed, the same key applies the order once.
 */
async function assertFaultLeavesNothing(t: Test, fault: { fired(): Promise<number>; remove(): Promise<void> }, skus: readonly string[], key: string, firedOnce: string) {
  const before = await h.writeChecksums();
  const response = await placeOrder(skus, { 'idempotency-key': key });
  assertInternalError(t, response);
  t.equal(await fault.fired(), 1, firedOnce);
  t.same(await h.writeChecksums(), before, 'products, inventory, orders, order_items, outbox and processed_commands unchanged');

  await fault.remove();
  await assertRetryAppliesOnce(t, skus, key);
}

t.test('the outbox encoder throws on the last event: every write table is as before', async (t) => {
  const skus = await createProducts(2, 5);
  const key = uniqueName('idem');
  const correlationId = uniqueName('encoder-fault');
  const encoded: string[] = [];
  encodingFault = (type, event) => {
    if (event.correlationId !== correlationId) return false;
    encoded.push(type === 'OrderPlaced' ? type : `${type} ${event.aggregateId}`);
    return type === 'InventoryAdjusted' && event.aggregateId === skus[1];
  };
  t.teardown(() => { encodingFault = undefined; });

  const before = await h.writeChecksums();
  const response = await placeOrder(skus, { 'idempotency-key': key, 'x-correlation-id': correlationId });
  assertInternalError(t, response);
  // Events exist only once the decision returned, i.e. once the order and stock rows were read,
  // locked and decided (their rows are written in the same statement as the outbox, after encoding).
  t.same(encoded, ['OrderPlaced', `InventoryAdjusted ${skus[0]}`, `InventoryAdjusted ${skus[1]}`], 'the fault hit the last event, after the others encoded');
  t.same(await h.writeChecksums(), before, 'products, inventory, orders, order_items, outbox and processed_commands unchanged');

  encodingFault = undefined;
  await assertRetryAppliesOnce(t, skus, key);
});

t.test('the outbox insert fails: every write table is as before', async (t) => {
  const skus = await createProducts(2, 5);
  const key = uniqueName('idem');
  // Raises for the reservation of this test's second SKU, and only once that SKU's order line is
  // in the transaction: the state rows were written before the outbox insert failed.
  const fault = await installOutboxFault(
    t,
    (name, fn) => `CREATE TRIGGER ${name} BEFORE INSERT ON write.outbox FOR EACH ROW WHEN (NEW.aggregate_id = ${lit(skus[1]!)}) EXECUTE FUNCTION ${fn}()`,
    'EXISTS (SELECT 1 FROM write.order_items WHERE sku = NEW.aggregate_id)',
  );

  await assertFaultLeavesNothing(t, fault, skus, key, 'the insert failed once, after the order rows were written (and was not retried)');
});

t.test('the COMMIT fails: every write table is as before', async (t) => {
  const skus = await createProducts(1, 5);
  const key = uniqueName('idem');
  // A deferred constraint trigger runs at COMMIT; it raises only when the transaction's last
  // write (the stored idempotent answer) is in it, so the whole command had been written.
  const fault = await installOutboxFault(
    t,
    (name, fn) => `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON write.outbox DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.aggregate_id = ${lit(skus[0]!)}) EXECUTE FUNCTION ${fn}()`,
    `EXISTS (SELECT 1 FROM write.processed_commands WHERE idempotency_key = ${lit(key)})`,
  );

  await assertFaultLeavesNothing(t, fault, skus, key, 'COMMIT failed once, with every row of the command written');
});

/**
 * Two requests with one Idempotency-Key, both past the idempotency check before either writes:
 * a row lock the test holds on the SKU's inventory stops both inside the decision, and is
 * released once both wait for it.
 */
async function racingRetries(t: Test, { initialStock, quantity }: { initialStock: number; quantity: number }) {
  const [sku] = await createProducts(1, initialStock);
  const key = uniqueName('idem');
  const holder = await lockHolder(t, h.config);
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM write.inventory WHERE sku = $1 FOR UPDATE', [sku]);
  const before = await h.writeCounts();

  const racing = Promise.all([1, 2].map(() => placeOrder([sku!], { 'idempotency-key': key }, quantity)));
  await untilCommandsWait(h.pool, 2, racing, 'both requests to wait for the inventory row');
  await holder.query('COMMIT');
  const [first, second] = await racing;

  t.same([first!.statusCode, second!.statusCode], [201, 201], 'both accepted');
  t.same(first!.json(), second!.json(), 'the same body');
  t.equal(first!.headers.location, second!.headers.location, 'the same Location');
  t.same([first, second].map((r) => r!.headers['idempotent-replayed'] ?? 'first').sort(), ['first', 'true'], 'one answer is the replay of the other');

  const accepted = [first!, second!].filter((r) => r.statusCode === 201);
  t.ok(accepted.length > 0, 'at least one request is accepted');
  const orderId: string = accepted[0]!.json().aggregateId;
  t.ok((await ordersOfCustomer()).includes(orderId), 'the order exists');
  const after = await h.writeCounts();
  t.same(
    { orders: after.orders! - before.orders!, order_items: after.order_items! - before.order_items!, outbox: after.outbox! - before.outbox!, processed_commands: after.processed_commands! - before.processed_commands! },
    { orders: 1, order_items: 1, outbox: 2, processed_commands: 1 },
    'written once: one order, one line, OrderPlaced and one reservation, one stored answer',
  );
  t.same(
    (await outboxEventsOf([orderId, sku!])).sort(),
    [`${orderId} OrderPlaced v1`, `${sku} ProductCreated v1`, `${sku} InventoryAdjusted v1`, `${sku} InventoryAdjusted v2`].sort(),
  );
  t.same(await stockOf([sku!]), { [sku!]: initialStock - quantity }, 'stock reserved once');
}

t.test('two concurrent requests with one Idempotency-Key write once and answer alike', (t) => racingRetries(t, { initialStock: 5, quantity: 1 }));

// The loser of the race re-reads the stock after the winner committed and finds none left: its
// decision is refused before it reaches the idempotency record, so the executor looks the key
// up again and answers with the winner's stored 201 instead of 422 insufficient_stock.
t.test('two concurrent requests with one Idempotency-Key for the last unit in stock write once and answer alike', (t) =>
  racingRetries(t, { initialStock: 1, quantity: 1 }));

t.test('a deadlock with another transaction is retried, and the command is applied once', async (t) => {
  const skus = await createProducts(2, 5);
  const [low, high] = skus as [string, string];
  const deadlocks = async () => {
    const { rows } = await h.pool.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]!.deadlocks);
  };
  const deadlocksBefore = await deadlocks();
  const holder = await lockHolder(t, h.config);
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM write.inventory WHERE sku = $1 FOR UPDATE', [high]);
  const before = await h.writeCounts();
  const stockBefore = await stockOf(skus);

  // PlaceOrder locks its SKUs in order: it takes `low`, then waits for `high`, which the test holds.
  const placing = placeOrder(skus);
  await untilCommandsWait(h.pool, 1, placing, 'the command to hold the first SKU and wait for the second');
  // The test now asks for `low`: a cycle. The command has waited longer, so its deadlock check
  // (deadlock_timeout after it began to wait) runs first and aborts it; its rollback frees `low`.
  const closing = await holder.query('SELECT 1 FROM write.inventory WHERE sku = $1 FOR UPDATE', [low]).then(
    () => 'granted',
    (error: { code?: string }) => `failed with ${error.code}`,
  );
  t.equal(closing, 'granted', "the command's transaction was the deadlock victim and rolled back");
  t.same(await h.writeCounts(), before, 'the aborted attempt left nothing');
  // The retry waits for `low` now that the test holds both SKUs.
  await untilCommandsWait(h.pool, 1, placing, 'the retried command to wait for the first SKU');
  await holder.query('ROLLBACK');

  const response = await placing;
  t.equal(response.statusCode, 201, `the retry succeeded: ${response.body}`);
  const orderId: string = response.json().aggregateId;
  const after = await h.writeCounts();
  t.same(
    { orders: after.orders! - before.orders!, order_items: after.order_items! - before.order_items!, outbox: after.outbox! - before.outbox! },
    { orders: 1, order_items: 2, outbox: 3 },
    'applied once: one order, two lines, OrderPlaced and two reservations',
  );
  t.same(await outboxEventsOf([orderId]), [`${orderId} OrderPlaced v1`]);
  t.same(await stockOf(skus), { [low]: stockBefore[low]! - 1, [high]: stockBefore[high]! - 1 });
  // Postgres itself counts the deadlock it broke (statistics reach the view within seconds).
  const counted = await pollUntil('the deadlock in pg_stat_database', async () => {
    const now = await deadlocks();
    return now > deadlocksBefore ? now : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  t.equal(counted - deadlocksBefore, 1, 'exactly one deadlock happened');
});
