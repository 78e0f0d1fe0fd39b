// The payments service's command path: its state row and its outbox row in one transaction on
// its own database, the refusals of its state machine, and nothing written on a refusal.
import crypto from 'node:crypto';
import net from 'node:net';
import t from 'tap';
import { commandApiHarness, CUSTOMER_KEY } from '../support/commandApiHarness.ts';

const h = await commandApiHarness();
t.teardown(() => h.close());

async function paymentRows(orderId: string) {
  const state = await h.paymentsPool.query<{ status: string; amount_cents: string; refund_reason: string | null; version: string }>(
    'SELECT status, amount_cents, refund_reason, version FROM payments.payments WHERE order_id = $1',
    [orderId],
  );
  const outbox = await h.paymentsPool.query<{ event_id: string; event_type: string; aggregate_type: string; aggregate_version: string; payload: Buffer }>(
    'SELECT event_id, event_type, aggregate_type, aggregate_version, payload FROM payments.outbox WHERE aggregate_id = $1 ORDER BY aggregate_version',
    [orderId],
  );
  return { state: state.rows[0], outbox: outbox.rows };
}

t.test('authorize, capture and refund each write the state row and one Avro outbox event on the payments database', async (t) => {
  const orderId = crypto.randomUUID();
  const authorized = await h.send('POST', `/payments/${orderId}/authorize`, { body: { amountCents: 4497 } });
  t.equal(authorized.statusCode, 201, authorized.body);
  t.same(authorized.json(), { aggregateId: orderId, version: 1 });
  t.equal(authorized.headers.location, `/payments/${orderId}`);

  const captured = await h.send('POST', `/payments/${orderId}/capture`, { body: {}, headers: { 'if-match': '"1"' } });
  t.equal(captured.statusCode, 200, captured.body);
  t.same(captured.json(), { aggregateId: orderId, version: 2 });

  const refunded = await h.send('POST', `/payments/${orderId}/refund`, { body: { reason: 'returned' } });
  t.equal(refunded.statusCode, 200, refunded.body);
  t.same(refunded.json(), { aggregateId: orderId, version: 3 });

  const { state, outbox } = await paymentRows(orderId);
  t.same(state, { status: 'refunded', amount_cents: '4497', refund_reason: 'returned', version: '3' });
  t.same(outbox.map((r) => [r.event_type, r.aggregate_type, Number(r.aggregate_version)]), [
    ['PaymentAuthorized', 'payment', 1],
    ['PaymentCaptured', 'payment', 2],
    ['PaymentRefunded', 'payment', 3],
  ]);
  const decoded = await Promise.all(outbox.map((r) => h.codec.decode(r.payload)));
  t.match(decoded[0]!.event, { eventId: outbox[0]!.event_id, aggregateId: orderId, aggregateVersion: 1, orderId, amountCents: 4497 });
  t.match(decoded[1]!.event, { aggregateVersion: 2, orderId, amountCents: 4497 });
  t.match(decoded[2]!.event, { aggregateVersion: 3, orderId, amountCents: 4497, reason: 'returned' });
  const { rows } = await h.pool.query('SELECT 1 FROM write.outbox WHERE aggregate_id = $1', [orderId]);
  t.equal(rows.length, 0, "nothing reaches the command API's own outbox");
});

t.test('the state machine refuses out-of-order commands with 4xx and writes nothing', async (t) => {
  const orderId = crypto.randomUUID();
  const notYet = await h.send('POST', `/payments/${orderId}/capture`, { body: {} });
  t.equal(notYet.statusCode, 404);
  t.equal(notYet.json().error.code, 'OUTFLOW_ERR_NOT_FOUND');
  t.equal((await h.send('POST', `/payments/${orderId}/authorize`, { body: { amountCents: 100 } })).statusCode, 201);
  const again = await h.send('POST', `/payments/${orderId}/authorize`, { body: { amountCents: 100 } });
  t.equal(again.statusCode, 409);
  t.equal(again.json().error.code, 'OUTFLOW_ERR_ALREADY_EXISTS');
  const early = await h.send('POST', `/payments/${orderId}/refund`, { body: { reason: 'too early' } });
  t.equal(early.statusCode, 422, early.body);
  t.match(early.json().error, { code: 'OUTFLOW_ERR_INVARIANT', message: /authorized.*only a captured payment/ });
  const stale = await h.send('POST', `/payments/${orderId}/capture`, { body: {}, headers: { 'if-match': '"7"' } });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().error.code, 'OUTFLOW_ERR_CONCURRENCY');
  const { state, outbox } = await paymentRows(orderId);
  t.match(state, { status: 'authorized', version: '1' });
  t.equal(outbox.length, 1, 'only the authorization was written');
});

t.test('two concurrent authorizations of one payment: one wins, the other gets 409', async (t) => {
  const orderId = crypto.randomUUID();
  const answers = await Promise.all([1, 2, 3].map(() => h.send('POST', `/payments/${orderId}/authorize`, { body: { amountCents: 500 } })));
  t.same(answers.map((a) => a.statusCode).sort(), [201, 409, 409]);
  t.equal((await paymentRows(orderId)).outbox.length, 1);
});

t.test('bad input gets 400 naming the field; a customer key is refused', async (t) => {
  const orderId = crypto.randomUUID();
  const bad = await h.send('POST', `/payments/${orderId}/authorize`, { body: { amountCents: 0, currency: 'EUR' } });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().error.fields.map((f: { field: string }) => f.field).sort(), ['body.amountCents', 'body.currency']);
  const badId = await h.send('POST', '/payments/not-a-uuid/authorize', { body: { amountCents: 10 } });
  t.equal(badId.statusCode, 400);
  t.match(badId.json().error.fields, [{ field: 'params.orderId' }]);
  const customer = await h.send('POST', `/payments/${orderId}/authorize`, { key: CUSTOMER_KEY, body: { amountCents: 10 } });
  t.equal(customer.statusCode, 403);
  t.equal((await paymentRows(orderId)).outbox.length, 0);
});

t.test("the payments database down: payment commands answer 503 naming it; order commands and the command API's readiness are untouched", async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const closed = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const down = await commandApiHarness({ paymentsPostgresVia: { host: '127.0.0.1', port: closed } });
  t.teardown(() => down.close());
  const payment = await down.send('POST', `/payments/${crypto.randomUUID()}/authorize`, { body: { amountCents: 100 } });
  t.equal(payment.statusCode, 503, payment.body);
  t.match(payment.json().error, { code: 'OUTFLOW_ERR_UNAVAILABLE', details: { dependency: 'paymentsPostgres' } });
  const sku = `PAY-DOWN-${crypto.randomBytes(3).toString('hex')}`;
  const product = await down.send('POST', '/products', { body: { sku, name: 'Mug', description: 'Holds tea', category: 'kitchen', brand: 'Acme', priceCents: 900, initialStock: 1 } });
  t.equal(product.statusCode, 201, 'a command of the other database goes through');
  const ready = await down.send('GET', '/health/ready', { key: null });
  t.equal(ready.statusCode, 200, 'the command API stays ready: payments are not its dependency');
});
