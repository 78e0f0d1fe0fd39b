// The command API when the write database is unreachable or does not answer in time: 503 with
// Retry-After naming it, never 500 and never the driver's words; a command that timed out did
// not happen, and its retry with the same Idempotency-Key happens exactly once.
import t, { type Test } from 'tap';
import { writePool } from '../../command-api/main.ts';
import { buildCommandApi } from '../../command-api/server.ts';
import type { Config } from '../../lib/config.ts';
import { ADMIN_KEY, commandApiHarness } from '../support/commandApiHarness.ts';
import { lockHolder } from '../support/lockWaits.ts';
import { uniqueName } from '../support/stack.ts';

const h = await commandApiHarness();
t.teardown(() => h.close());

async function commandApiWith(t: Test, config: Config) {
  const pool = writePool(config);
  const app = await buildCommandApi({ config, pool, encoder: h.codec });
  t.teardown(async () => {
    await app.close();
    await pool.end();
  });
  return app;
}

const asAdmin = (headers: Record<string, string> = {}) => ({ authorization: `Bearer ${ADMIN_KEY}`, ...headers });

t.test('write database unreachable: commands answer 503 with Retry-After naming it; /health/ready too, /health/live 200', async (t) => {
  const app = await commandApiWith(t, { ...h.config, postgres: { ...h.config.postgres, port: 1 } });
  const reply = await app.inject({
    method: 'POST', url: '/inventory/ANY-SKU/adjustments', headers: asAdmin({ 'idempotency-key': uniqueName('key') }), payload: { delta: 1, reason: 'restock' },
  });
  t.equal(reply.statusCode, 503, reply.body);
  t.equal(reply.headers['retry-after'], String(h.config.timeouts.http.retryAfterS));
  t.same(reply.json(), { error: { code: 'OUTFLOW_ERR_UNAVAILABLE', message: 'writePostgres cannot be reached; retry later', details: { dependency: 'writePostgres', unavailability: 'unreachable' } } });
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 503);
  t.ok(ready.headers['retry-after'], 'with Retry-After');
  t.same(ready.json(), { status: 'unavailable', dependencies: { writePostgres: 'unavailable' } }, 'no driver text for an anonymous caller');
  t.same((await app.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' });
});

t.test('a lock held past lock_timeout: 503 timeout, nothing written; the retry with the same key applies it once', async (t) => {
  const lockMs = 200;
  const app = await commandApiWith(t, { ...h.config, timeouts: { ...h.config.timeouts, postgres: { ...h.config.timeouts.postgres, lockMs } } });
  const sku = uniqueName('LOCKED').toUpperCase();
  const created = await h.send('POST', '/products', { body: { sku, name: 'Held', description: 'Locked by a test', category: 'garden', brand: 'Acme', priceCents: 100, initialStock: 5 } });
  t.equal(created.statusCode, 201, created.body);
  const stock = async () => (await h.pool.query<{ available: number; version: number }>('SELECT available::int AS available, version::int AS version FROM write.inventory WHERE sku = $1', [sku])).rows[0];
  const before = await stock();

  const holder = await lockHolder(t, h.config);
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM write.inventory WHERE sku = $1 FOR UPDATE', [sku]);
  const key = uniqueName('key');
  const adjust = () => app.inject({ method: 'POST', url: `/inventory/${sku}/adjustments`, headers: asAdmin({ 'idempotency-key': key }), payload: { delta: 3, reason: 'restock' } });
  const timedOut = await adjust();
  t.equal(timedOut.statusCode, 503, timedOut.body);
  t.ok(timedOut.headers['retry-after'], 'with Retry-After');
  t.match(timedOut.json(), { error: { code: 'OUTFLOW_ERR_UNAVAILABLE', details: { dependency: 'writePostgres', unavailability: 'timeout' } } });
  await holder.query('ROLLBACK');
  t.same(await stock(), before, 'the command that answered 503 did not happen');

  const retried = await adjust();
  t.equal(retried.statusCode, 200, retried.body);
  t.same(await stock(), { available: before!.available + 3, version: before!.version + 1 }, 'the retry applied it');
  const again = await adjust();
  t.equal(again.headers['idempotent-replayed'], 'true', 'a further retry replays the stored answer');
  t.same(again.json(), retried.json());
  t.same(await stock(), { available: before!.available + 3, version: before!.version + 1 }, 'and applies nothing twice');
});
