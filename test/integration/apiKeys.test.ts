// API keys and roles on both APIs, against the real stack: stored keys managed through the
// `outflow keys` CLI and accepted (then, once revoked, refused) by both APIs; roles (a customer
// reads no sales report, an analyst reads reports and writes nothing); the built-in keys only on
// loopback and no start beyond it without keys; idempotency records scoped by key id; pruning
// them by age; a flood of unknown keys that never stops an admin's command; another customer's
// order answering 404 on the command API.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t from 'tap';
import { listApiKeys, revokeApiKey } from '../../lib/auth/apiKeyAdmin.ts';
import { storedApiKeys, storedKeysPool } from '../../lib/auth/storedApiKeys.ts';
import { config, type Config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { buildCommandApi } from '../../command-api/server.ts';
import { withWriteDatabase } from '../../lib/writeDatabase.ts';
import { buildQueryApi } from '../../query-api/server.ts';
import { commandApiHarness, ADMIN_KEY, CUSTOMER_KEY, OTHER_CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { CUSTOMER_KEY as QUERY_CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';
import { uniqueName } from '../support/stack.ts';

const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'outflow.js');
/** Every stored key this file creates is named with it, so a later run can revoke what a crashed one left. */
const KEY_PREFIX = 'apikeys-test';
const LOCAL_ADMIN = 'Bearer outflow-local-admin-key';

// A write database of its own: counts before and after a refused command see no other file's writes.
const cmd = await commandApiHarness({ ownWriteDatabase: true });
const query = await queryApiHarness();
const apps: FastifyInstance[] = [];
t.teardown(async () => {
  for (const app of apps) await app.close();
  for (const key of await listApiKeys(cmd.config, { includeRevoked: false })) {
    if (key.name.startsWith(KEY_PREFIX)) await revokeApiKey(cmd.config, key.keyId);
  }
  await query.close();
  await cmd.close();
});

function outflow(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function createKey(role: string, extra: string[] = [], name = uniqueName(KEY_PREFIX)): { keyId: string; secret: string; name: string } {
  const run = outflow('keys', 'create', '--name', name, '--role', role, ...extra, '--json');
  if (run.status !== 0) throw new Error(`outflow keys create failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { keyId: string; secret: string; name: string };
}

/** A command API on the harness's pool and codec, with its own configuration (and its own rate-limit memory). */
async function commandApi(change: (config: Config) => Config = (c) => c): Promise<FastifyInstance> {
  const app = await buildCommandApi({ config: change({ ...cmd.config, auth: { ...cmd.config.auth, storedKeyTrustMs: 100 } }), pool: cmd.pool, encoder: cmd.codec });
  apps.push(app);
  return app;
}

async function queryApi(change: (config: Config) => Config = (c) => c): Promise<FastifyInstance> {
  const g = query.generation;
  const readGeneration = { 'order-summary': g, 'customer-orders': g, 'product-search': g, 'sales-report': g };
  const app = await buildQueryApi({ config: change({ ...query.config, auth: { ...query.config.auth, storedKeyTrustMs: 100 } }), ...query.connections, readGeneration });
  apps.push(app);
  return app;
}

const productBody = () => ({ sku: uniqueName('sku'), name: 'Trail shoe', description: 'Grips on mud', category: 'shoes', brand: 'Outflow', priceCents: 8900, initialStock: 5 });
const address = { name: 'Alice', line1: '1 Main St', city: 'Leeds', postalCode: 'LS1', country: 'GB' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const REPORT = '/reports/sales?from=2024-05-01&to=2024-05-31';

t.test('a service beyond loopback without keys refuses to start; the built-in keys only work on loopback', async (t) => {
  for (const key of await listApiKeys(cmd.config, { includeRevoked: false })) {
    if (key.name.startsWith(KEY_PREFIX)) await revokeApiKey(cmd.config, key.keyId);
  }
  const keysPool = storedKeysPool(cmd.config, 'api-keys-test');
  t.teardown(() => keysPool.end());
  const active = await storedApiKeys(keysPool).activeCount();
  t.equal(active, 0, 'no stored key is active on the test stack (only this file creates them)');

  const unsetBeyondLoopback = (c: Config): Config => ({ ...c, auth: { ...c.auth, apiKeys: null }, commandApi: { ...c.commandApi, host: '0.0.0.0' }, queryApi: { ...c.queryApi, host: '0.0.0.0' } });
  await t.rejects(commandApi(unsetBeyondLoopback), { code: 'OUTFLOW_ERR_CONFIG', message: /command-api listens on 0\.0\.0\.0.*OUTFLOW_API_KEYS.*outflow keys create/ });
  await t.rejects(queryApi(unsetBeyondLoopback), { code: 'OUTFLOW_ERR_CONFIG', message: /query-api listens on 0\.0\.0\.0/ });
  const emptyBeyondLoopback = (c: Config): Config => ({ ...unsetBeyondLoopback(c), auth: { ...c.auth, apiKeys: [] } });
  await t.rejects(commandApi(emptyBeyondLoopback), { code: 'OUTFLOW_ERR_CONFIG' }, 'an empty OUTFLOW_API_KEYS is no keys');

  const onLoopback = await commandApi((c) => ({ ...c, auth: { ...c.auth, apiKeys: null } }));
  const local = await onLoopback.inject({ method: 'POST', url: '/products', headers: { authorization: LOCAL_ADMIN }, payload: productBody() });
  t.equal(local.statusCode, 201, 'unset keys on loopback: the built-in admin key works');
  const emptyOnLoopback = await commandApi((c) => ({ ...c, auth: { ...c.auth, apiKeys: [] } }));
  t.equal((await emptyOnLoopback.inject({ method: 'POST', url: '/products', headers: { authorization: LOCAL_ADMIN }, payload: productBody() })).statusCode, 401, 'an empty OUTFLOW_API_KEYS is not the built-in keys');

  const stored = createKey('admin');
  const beyond = await commandApi(unsetBeyondLoopback);
  t.equal((await beyond.inject({ method: 'POST', url: '/products', headers: { authorization: LOCAL_ADMIN }, payload: productBody() })).statusCode, 401, 'beyond loopback the built-in key is refused');
  t.equal((await beyond.inject({ method: 'POST', url: '/products', headers: bearer(stored.secret), payload: productBody() })).statusCode, 201, 'with a stored key it starts, and the key works');
  t.equal(outflow('keys', 'revoke', stored.keyId).status, 0);
});

t.test('outflow keys create|list|revoke; a stored key works on both APIs; once revoked, both refuse it', async (t) => {
  const commands = await commandApi();
  const reads = await queryApi();
  const created = createKey('admin');
  t.match(created, { keyId: /^key_[0-9a-f]{16}$/, secret: /^ofk_[\w-]{43}$/, role: 'admin', customerId: null, revokedAt: null });

  const listed = outflow('keys', 'list', '--json');
  t.equal(listed.status, 0);
  t.ok((JSON.parse(listed.stdout) as { keyId: string }[]).some((k) => k.keyId === created.keyId), 'listed');
  t.notOk(listed.stdout.includes(created.secret), 'the list never shows the key');
  const table = outflow('keys', 'list');
  t.match(table.stdout, new RegExp(`${created.keyId}\\s+${created.name}\\s+admin`));

  t.equal((await commands.inject({ method: 'POST', url: '/products', headers: bearer(created.secret), payload: productBody() })).statusCode, 201, 'command API');
  t.equal((await reads.inject({ method: 'GET', url: '/products/search?q=shoe', headers: bearer(created.secret) })).statusCode, 200, 'query API');
  t.equal((await reads.inject({ method: 'GET', url: REPORT, headers: bearer(created.secret) })).statusCode, 200, 'an admin reads reports');

  const revoked = outflow('keys', 'revoke', created.keyId);
  t.equal(revoked.status, 0);
  t.match(revoked.stdout, `revoked ${created.keyId}`);
  t.notOk((JSON.parse(outflow('keys', 'list', '--json').stdout) as { keyId: string }[]).some((k) => k.keyId === created.keyId), 'gone from the list');
  t.ok((JSON.parse(outflow('keys', 'list', '--all', '--json').stdout) as { keyId: string; revokedAt: string | null }[]).some((k) => k.keyId === created.keyId && k.revokedAt), 'kept, revoked, in --all');

  // The APIs trust a stored key for storedKeyTrustMs (100 ms here): poll until both refuse it.
  const refused = async (app: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: object) =>
    pollUntil('the revoked key to be refused', async () => {
      const response = await app.inject({ method, url, headers: bearer(created.secret), ...(payload ? { payload } : {}) });
      return response.statusCode === 401 ? response : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50 });
  t.equal((await refused(commands, 'POST', '/products', productBody())).json().error.code, 'OUTFLOW_ERR_UNAUTHENTICATED', 'command API refuses it');
  t.equal((await refused(reads, 'GET', '/products/search?q=shoe')).json().error.code, 'OUTFLOW_ERR_UNAUTHENTICATED', 'query API refuses it');
  const fresh = await commandApi();
  t.equal((await fresh.inject({ method: 'POST', url: '/products', headers: bearer(created.secret), payload: productBody() })).statusCode, 401, 'and a service started afterwards');

  const unknown = outflow('keys', 'revoke', 'key_0000000000000000');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /API key key_0000000000000000 does not exist \[OUTFLOW_ERR_NOT_FOUND\]/);
});

t.test('roles: a customer reads no sales report; an analyst reads reports but writes nothing; the CLI refuses an unknown role', async (t) => {
  const commands = await commandApi();
  const reads = await queryApi();
  const analyst = createKey('analyst');
  const customerReport = await reads.inject({ method: 'GET', url: REPORT, headers: bearer(QUERY_CUSTOMER_KEY) });
  t.equal(customerReport.statusCode, 403, 'a customer key reads no sales report');
  t.equal(customerReport.json().error.code, 'OUTFLOW_ERR_FORBIDDEN');
  t.equal((await reads.inject({ method: 'GET', url: '/reports/sales?from=bad', headers: bearer(QUERY_CUSTOMER_KEY) })).statusCode, 403, 'not even a validation error tells it more');
  t.equal((await reads.inject({ method: 'GET', url: REPORT, headers: bearer(analyst.secret) })).statusCode, 200, 'an analyst reads reports');
  t.equal((await reads.inject({ method: 'GET', url: '/products/search?q=shoe', headers: bearer(analyst.secret) })).statusCode, 200, 'and the catalog');
  t.equal((await reads.inject({ method: 'GET', url: `/customers/${query.customerId}/orders`, headers: bearer(analyst.secret) })).statusCode, 403, "but no customer's orders");

  const before = await cmd.writeCounts();
  for (const [method, url, payload] of [
    ['POST', '/products', productBody()],
    ['POST', '/orders', { customerId: cmd.customerId, items: [{ sku: 'any', quantity: 1 }], shippingAddress: address }],
    ['POST', `/orders/${crypto.randomUUID()}/cancel`, {}],
  ] as const) {
    const response = await commands.inject({ method, url, headers: bearer(analyst.secret), payload });
    t.equal(response.statusCode, 403, `an analyst may not ${method} ${url}`);
    t.equal(response.json().error.code, 'OUTFLOW_ERR_FORBIDDEN');
  }
  t.same(await cmd.writeCounts(), before, 'an analyst wrote nothing');

  const unknownRole = outflow('keys', 'create', '--name', uniqueName(KEY_PREFIX), '--role', 'superuser');
  t.not(unknownRole.status, 0, 'the CLI refuses an unknown role');
  t.match(unknownRole.stderr, /superuser.*Allowed choices are admin, analyst, customer/);
  const customerWithout = outflow('keys', 'create', '--name', uniqueName(KEY_PREFIX), '--role', 'customer');
  t.not(customerWithout.status, 0);
  t.match(customerWithout.stderr, /--customer/);
});

t.test('idempotency records are scoped by the key id, not the display name', async (t) => {
  const commands = await commandApi();
  const name = uniqueName(`${KEY_PREFIX}-same-name`);
  const first = createKey('admin', [], name);
  const second = createKey('admin', [], name);
  const idempotencyKey = uniqueName('idem');
  const send = (secret: string, body: object) =>
    commands.inject({ method: 'POST', url: '/products', headers: { ...bearer(secret), 'idempotency-key': idempotencyKey }, payload: body });
  const body = productBody();
  t.equal((await send(first.secret, body)).statusCode, 201);
  const replay = await send(first.secret, body);
  t.equal(replay.headers['idempotent-replayed'], 'true', 'the same key id: replayed');
  const other = await send(second.secret, productBody());
  t.equal(other.statusCode, 201, 'another key of the same name: its own command, neither a replay nor a reuse');
  t.equal(other.headers['idempotent-replayed'], undefined);
  const { rows } = await cmd.pool.query<{ key_id: string }>('SELECT key_id FROM write.processed_commands WHERE idempotency_key = $1 ORDER BY created_at', [idempotencyKey]);
  t.same(rows.map((r) => r.key_id), [first.keyId, second.keyId]);
  const envKey = uniqueName('idem');
  await commands.inject({ method: 'POST', url: '/products', headers: { ...bearer(ADMIN_KEY), 'idempotency-key': envKey }, payload: productBody() });
  const { rows: envRows } = await cmd.pool.query<{ key_id: string }>('SELECT key_id FROM write.processed_commands WHERE idempotency_key = $1', [envKey]);
  t.same(envRows.map((r) => r.key_id), ['env:harness-admin'], 'a configured key: its id is env:<name>');
});

t.test('outflow commands prune deletes idempotency records older than the age given, and only those', async (t) => {
  // The CLI prunes the configured write database: the shared one, not this file's own.
  const shared = <T>(work: (db: pg.Client) => Promise<T>) => withWriteDatabase(config(), work);
  const [old, recent] = [uniqueName('prune-old'), uniqueName('prune-recent')];
  await shared((db) => db.query(
    `INSERT INTO write.processed_commands (key_id, idempotency_key, request_hash, response_status, response_body, created_at)
     VALUES ('env:prune-test', $1, 'h', 201, '{}', now() - interval '8 days'), ('env:prune-test', $2, 'h', 201, '{}', now() - interval '6 days')`,
    [old, recent],
  ));
  const left = async () => (await shared((db) => db.query<{ idempotency_key: string }>("SELECT idempotency_key FROM write.processed_commands WHERE key_id = 'env:prune-test' AND idempotency_key = ANY($1) ORDER BY idempotency_key", [[old, recent]]))).rows.map((r) => r.idempotency_key);

  const dryRun = outflow('commands', 'prune', '--older-than', '7d', '--dry-run', '--json');
  t.equal(dryRun.status, 0, dryRun.stderr);
  t.ok((JSON.parse(dryRun.stdout) as { rows: number }).rows >= 1, 'counts the old record');
  t.same(await left(), [old, recent].sort(), 'a dry run deletes nothing');
  const pruned = outflow('commands', 'prune', '--json');
  t.equal(pruned.status, 0, pruned.stderr);
  t.ok((JSON.parse(pruned.stdout) as { rows: number }).rows >= 1);
  t.same(await left(), [recent], 'the default (7d) deleted the 8-day-old record and kept the 6-day-old one');
  const tooYoung = outflow('commands', 'prune', '--older-than', '30m');
  t.not(tooYoung.status, 0);
  t.match(tooYoung.stderr, /younger than 1h/);
  t.same(await left(), [recent]);
});

t.test('a flood of 2,000 concurrent unknown keys gets 401/429 while an admin command still succeeds', async (t) => {
  const commands = await commandApi();
  const flood = Array.from({ length: 2000 }, () =>
    commands.inject({ method: 'POST', url: '/products', headers: bearer(crypto.randomBytes(24).toString('base64url')), payload: productBody() }));
  const admin = commands.inject({ method: 'POST', url: '/products', headers: bearer(ADMIN_KEY), payload: productBody() });
  const [adminResponse, ...floodResponses] = await Promise.all([admin, ...flood]);
  t.equal(adminResponse?.statusCode, 201, 'the admin command succeeded during the flood');
  const statuses = floodResponses.map((r) => r.statusCode);
  t.ok(statuses.every((status) => status === 401 || status === 429), 'every flood request got 401 or 429');
  t.ok(statuses.includes(429), 'the flood was cut off by the rate limit');
  const limited = floodResponses.find((r) => r.statusCode === 429);
  t.equal(limited?.json().error.code, 'OUTFLOW_ERR_AUTH_RATE_LIMITED');
  t.match(limited?.headers['retry-after'], /^\d+$/);
  t.equal((await commands.inject({ method: 'POST', url: '/products', headers: bearer(ADMIN_KEY), payload: productBody() })).statusCode, 201, 'and after it, from the same address');
});

t.test("the command API answers 404 for another customer's order, as for one that does not exist", async (t) => {
  const sku = productBody();
  t.equal((await cmd.send('POST', '/products', { body: sku })).statusCode, 201);
  const placed = await cmd.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku: sku.sku, quantity: 1 }], shippingAddress: address } });
  t.equal(placed.statusCode, 201);
  const orderId = placed.json().aggregateId as string;
  const before = await cmd.writeCounts();
  for (const [method, url, body] of [
    ['POST', `/orders/${orderId}/cancel`, {}],
    ['PUT', `/orders/${orderId}/shipping-address`, address],
  ] as const) {
    const response = await cmd.send(method, url, { key: OTHER_CUSTOMER_KEY, body, headers: { 'if-match': '"1"' } });
    t.equal(response.statusCode, 404, `${method} ${url}`);
    t.same(response.json(), { error: { code: 'OUTFLOW_ERR_NOT_FOUND', message: `order ${orderId} does not exist`, details: { what: 'order', id: orderId } } }, 'the same answer as for an order that does not exist');
  }
  const missing = crypto.randomUUID();
  t.same((await cmd.send('POST', `/orders/${missing}/cancel`, { key: OTHER_CUSTOMER_KEY, body: {} })).json().error.code, 'OUTFLOW_ERR_NOT_FOUND');
  t.same(await cmd.writeCounts(), before, 'nothing written');
  t.equal((await cmd.send('POST', `/orders/${orderId}/cancel`, { key: CUSTOMER_KEY, body: {} })).statusCode, 200, 'its own customer still may');
});
