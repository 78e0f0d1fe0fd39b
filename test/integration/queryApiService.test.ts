// The query API as a service: health of each read store, metrics, the OpenAPI document,
// and that it has nothing to do with the write database (none configured reachable here,
// and no module on its import graph that could open one).
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { buildQueryApi } from '../../query-api/server.ts';
import { ADMIN_KEY, queryApiHarness } from '../support/queryApiHarness.ts';

const h = await queryApiHarness();
t.teardown(() => h.close());

t.test('/health/ready (and /health) answers ok with each read store, while the write database is unreachable', async (t) => {
  t.equal(h.config.postgres.port, 1, 'the harness puts the write database on a closed port');
  for (const url of ['/health/ready', '/health']) {
    const response = await h.send(url, { key: null });
    t.equal(response.statusCode, 200, response.body);
    t.same(response.json(), { status: 'ok', dependencies: { redis: 'ok', elasticsearch: 'ok', readPostgres: 'ok' } }, url);
  }
  t.same((await h.send('/health/live', { key: null })).json(), { status: 'ok' }, '/health/live: the process only');
  const unknownKey = await h.send('/products/search', { key: 'a-key-only-a-table-could-know-0000' });
  t.equal(unknownKey.statusCode, 401, 'an unknown key is refused without looking anything up in the write database');
});

t.test('a store that cannot be reached: /health/ready 503 naming it, its reads 503 with Retry-After, /health/live 200', async (t) => {
  const closedPool = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'nobody', database: 'nothing', connectionTimeoutMillis: 500 });
  const app = await buildQueryApi({ ...h.connections, readPostgres: closedPool, config: h.config });
  t.teardown(async () => {
    await app.close();
    await closedPool.end();
  });
  for (const url of ['/health/ready', '/health']) {
    const response = await app.inject({ method: 'GET', url });
    t.equal(response.statusCode, 503, url);
    t.equal(response.headers['retry-after'], String(h.config.timeouts.http.retryAfterS), 'with Retry-After');
    t.same(response.json(), { status: 'unavailable', dependencies: { redis: 'ok', elasticsearch: 'ok', readPostgres: 'unavailable' } }, 'no driver text for an anonymous caller');
  }
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
  const today = new Date().toISOString().slice(0, 10);
  const report = await app.inject({ method: 'GET', url: `/reports/sales?from=${today}&to=${today}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  t.equal(report.statusCode, 503, 'a read from that store answers 503, not 500');
  t.equal(report.headers['retry-after'], String(h.config.timeouts.http.retryAfterS));
  t.same(report.json(), { error: { code: 'OUTFLOW_ERR_UNAVAILABLE', message: 'readPostgres cannot be reached; retry later', details: { dependency: 'readPostgres', unavailability: 'unreachable' } } });
  const search = await app.inject({ method: 'GET', url: '/products/search?q=x', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  t.equal(search.statusCode, 200, 'reads from the other stores are unaffected');
});

t.test('/metrics counts requests by route and status', async (t) => {
  await h.send('/orders/not-a-uuid', { key: ADMIN_KEY });
  const metrics = await h.send('/metrics', { key: null });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /outflow_query_api_requests_total\{[^}]*route="\/orders\/:id"[^}]*status="400"[^}]*\} [1-9]/);
  t.match(metrics.body, /outflow_query_api_request_duration_seconds_bucket/);
});

t.test('/docs/openapi.json documents every read route with its parameters', async (t) => {
  const response = await h.send('/docs/openapi.json', { key: null });
  t.equal(response.statusCode, 200);
  const doc = response.json();
  t.same(Object.keys(doc.paths).sort(), ['/customers/{id}/orders', '/orders/{id}', '/products/search', '/reports/sales']);
  const searchParameters = doc.paths['/products/search'].get.parameters.map((p: { name: string }) => p.name);
  t.same(searchParameters.sort(), ['brand', 'category', 'inStock', 'maxPrice', 'minPrice', 'page', 'pageSize', 'q']);
  const orderParameters = doc.paths['/orders/{id}'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
  t.same(orderParameters.sort(), ['header:x-min-version', 'path:id', 'query:minVersion']);
  const ok = (route: string) => doc.paths[route].get.responses['200']?.content['application/json'].schema;
  t.same(Object.keys(ok('/orders/{id}').properties), [
    'orderId', 'customerId', 'status', 'items', 'totalCents', 'shippingAddress', 'cancelReason', 'carrier', 'trackingNumber', 'placedAt', 'updatedAt', 'version', 'payment',
  ], 'the order answer is documented, field by field');
  t.match(ok('/orders/{id}').properties.payment, { type: 'object', nullable: true, required: ['status', 'amountCents', 'refundReason', 'version'], properties: { status: { enum: ['authorized', 'captured', 'refunded'] } } }, "the payment, another source's, documented as a nullable object");
  t.match(ok('/orders/{id}').properties.carrier, { type: 'string', nullable: true }, 'a nullable field as OpenAPI 3.0 writes it');
  for (const route of ['/customers/{id}/orders', '/products/search', '/reports/sales']) t.equal(ok(route).type, 'object', `${route}: its answer is documented`);
});

/** Every project file reachable from `entry` through static and dynamic relative imports. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    // `import type` is erased before the code runs, so it reaches nothing at run time (a read
    // model's verify check names the write model's row shapes only as types).
    const runtimeImports = [
      ...[...source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm)].filter((m) => !m[1]).map((m) => m[2] as string),
      ...[...source.matchAll(/^import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1] as string),
      ...[...source.matchAll(/\bimport\s*\(\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string),
    ];
    for (const specifier of runtimeImports) pending.push(path.resolve(path.dirname(file), specifier));
  }
  return seen;
}

t.test("nothing on the query API's import graph can reach the write database", async (t) => {
  const root = h.config.repoRoot;
  const graph = [...importGraph(path.join(root, 'query-api/cli.ts'))].map((file) => path.relative(root, file));
  t.ok(graph.includes('query-api/server.ts') && graph.includes('read-models/registry.ts') && graph.includes('read-models/sales-report/routes.ts'), 'the walk follows the imports');
  const writeSide = graph.filter((file) => file.startsWith('command-api/'));
  t.same(writeSide, [], 'nothing comes from the command API (authentication is shared from lib/auth/)');
  const writeDbUsers = graph.filter((file) => file !== 'lib/config.ts' && /\bwritePool\b|\bconfig\.postgres\b|\bwriteDatabase\b|\bFROM write\./.test(fs.readFileSync(path.join(root, file), 'utf8')));
  t.same(writeDbUsers, [], 'no module names the write database or its credentials');
});
