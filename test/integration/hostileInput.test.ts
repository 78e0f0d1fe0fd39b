// Hostile input never yields a 5xx. Requests for every route of both APIs, generated from the
// routes' own schemas (their OpenAPI documents) and salted with nasty values, go through
// inject() to APIs on the real write database, Redis, Elasticsearch and read Postgres. Every
// answer must be below 500, a 4xx must carry the JSON error shape, and a refused command must
// leave every write table and the outbox exactly as it found them.
import fc from 'fast-check';
import t, { type Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { routeInputs, type RouteInputs } from '../support/apiRoutes.ts';
import { ADMIN_KEY, commandApiHarness, CUSTOMER_KEY, OTHER_CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { hostileRequest, type HostileRequest } from '../support/hostileRequests.ts';
import * as queryHarness from '../support/queryApiHarness.ts';
import { uniqueName } from '../support/stack.ts';
import { testSeed } from '../support/testSeed.ts';

const REQUESTS = 10_000;
// Ten thousand requests, each followed by a fingerprint of the write tables, take a few minutes
// on a busy machine: more than the suite's default allowance per file.
t.setTimeout(900_000);

// A write database of its own: the checksums compare whole tables, which other files' commands
// would change under us on the shared one.
const command = await commandApiHarness({ ownWriteDatabase: true });
// A short read-your-own-writes wait: generated minimum versions are never reached.
const query = await queryHarness.queryApiHarness({ minVersionTimeoutMs: 1 });
t.teardown(async () => {
  await command.close();
  await query.close();
});

// Every table of the write schema, outbox included, read at the start: a table added later is covered.
const { rows: tables } = await command.pool.query<{ name: string }>(
  `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'write' AND table_type = 'BASE TABLE' ORDER BY 1`,
);

/**
 * Row count and an order-free hash sum of every write table, in one statement (one snapshot).
 * The harness's sorted md5 is exact but grows with the tables; this stays cheap enough to take
 * after every one of thousands of commands.
 */
async function writeFingerprint(): Promise<string> {
  const columns = tables.map(({ name }) => `(SELECT count(*) || ' rows, hash ' || coalesce(sum(hashtextextended(r::text, 0)), 0) FROM write.${name} r) AS ${name}`);
  const { rows } = await command.pool.query(`SELECT ${columns.join(', ')}`);
  return JSON.stringify(rows[0]);
}

const address = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

function assertAnswer(response: LightMyRequestResponse, what: string): void {
  if (response.statusCode >= 500) throw new Error(`${what} answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  if (response.statusCode < 400) return;
  let body: { error?: { code?: unknown; message?: unknown; fields?: unknown } };
  try {
    body = response.json();
  } catch {
    throw new Error(`${what} answered ${response.statusCode} without JSON: ${response.body.slice(0, 500)}`);
  }
  const { error } = body;
  if (typeof error?.code !== 'string' || !error.code.startsWith('OUTFLOW_ERR_') || typeof error.message !== 'string') {
    throw new Error(`${what} answered ${response.statusCode} without the error shape: ${response.body.slice(0, 500)}`);
  }
  if (error.code === 'OUTFLOW_ERR_VALIDATION' && !(Array.isArray(error.fields) && error.fields.length > 0)) {
    throw new Error(`${what} answered 400 without naming a field: ${response.body.slice(0, 500)}`);
  }
}

/** Sends a command and requires a refusal to have written nothing at all. */
async function sendCommand(request: HostileRequest, before: string): Promise<{ response: LightMyRequestResponse; after: string }> {
  const what = `${request.method} ${request.url.slice(0, 200)}`;
  const response = await inject(command.app, request);
  assertAnswer(response, what);
  const after = await writeFingerprint();
  if (response.statusCode >= 300 && after !== before) {
    throw new Error(`${what} was refused (${response.statusCode}) but changed the write tables:\nbefore ${before}\nafter  ${after}`);
  }
  return { response, after };
}

async function expectRefused(t: Test, request: HostileRequest, status: number, expect: { field?: string; rule?: string }) {
  const before = await writeFingerprint();
  const { response } = await sendCommand(request, before);
  t.equal(response.statusCode, status, `${request.method} ${request.url}: ${response.body.slice(0, 300)}`);
  const { error } = response.json() as { error: { fields?: { field: string }[]; details?: { rule?: string } } };
  if (expect.field) t.ok(error.fields?.some((f) => f.field === expect.field), `names ${expect.field}: ${response.body.slice(0, 300)}`);
  if (expect.rule) t.equal(error.details?.rule, expect.rule);
}

const inject = (app: typeof command.app, request: HostileRequest) =>
  app.inject({ method: request.method as 'POST', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });

const post = (url: string, body: unknown, key = ADMIN_KEY): HostileRequest => ({
  method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body),
});

async function createProduct(fields: Record<string, unknown>): Promise<string> {
  const sku = uniqueName('hostile');
  const response = await inject(command.app, post('/products', { sku, name: 'Kettle', description: 'Boils', category: 'kitchen', brand: 'Outflow', priceCents: 2500, initialStock: 1000, ...fields }));
  if (response.statusCode !== 201) throw new Error(`creating ${sku}: ${response.statusCode} ${response.body}`);
  return sku;
}

t.test('the reported cases answer 4xx and write nothing', async (t) => {
  const sku = await createProduct({});
  const order = (name: string) => post('/orders', { customerId: command.customerId, items: [{ sku, quantity: 1 }], shippingAddress: { ...address, name } });
  await expectRefused(t, order('a\u0000b'), 400, { field: 'body.shippingAddress.name' });
  await expectRefused(t, order('\ud800'), 400, { field: 'body.shippingAddress.name' });

  await expectRefused(t, post('/products', { sku: uniqueName('price'), name: 'Yacht', description: '', category: 'boats', brand: 'Outflow', priceCents: 1_000_000_000_000 }), 400, { field: 'body.priceCents' });
  const dear = await createProduct({ priceCents: 1_000_000_000, initialStock: 10_000 });
  await expectRefused(t, post('/orders', { customerId: command.customerId, items: [{ sku: dear, quantity: 9008 }], shippingAddress: address }), 422, { rule: 'order_total_too_large' });

  const stocked = await createProduct({ initialStock: 1_000_000_000 });
  const restock = post(`/inventory/${stocked}/adjustments`, { delta: 1_000_000_000, reason: 'restock' });
  t.equal((await inject(command.app, restock)).statusCode, 200, 'the first +1,000,000,000 fits');
  await expectRefused(t, restock, 422, { rule: 'stock_too_large' });

  for (const [from, to, field] of [['0000-01-01', '0000-01-02', 'querystring.from'], ['2026-02-30', '2026-03-01', 'querystring.from'], ['2026-01-01', '10000-01-01', 'querystring.to']] as const) {
    const response = await query.send(`/reports/sales?from=${from}&to=${to}`, { key: queryHarness.ADMIN_KEY });
    t.equal(response.statusCode, 400, `${from}..${to}: ${response.body}`);
    t.ok((response.json() as { error: { fields: { field: string }[] } }).error.fields.some((f) => f.field === field), `names ${field}`);
  }
  const edge = await query.send('/reports/sales?from=9999-12-31&to=9999-12-31', { key: queryHarness.ADMIN_KEY });
  t.equal(edge.statusCode, 200, `the last day of year 9999 is a valid report day: ${edge.body}`);
});

t.test(`${REQUESTS} generated requests over every route: never a 5xx, refusals write nothing`, async (t) => {
  const seed = testSeed(t, 'the hostile requests');
  const skus = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => createProduct({ priceCents: n * 166_666_666, initialStock: 1_000_000 })));
  const orderIds: string[] = [];
  for (const key of [CUSTOMER_KEY, CUSTOMER_KEY, ADMIN_KEY, OTHER_CUSTOMER_KEY]) {
    const response = await inject(command.app, post('/orders', { ...(key === ADMIN_KEY ? { customerId: command.otherCustomerId } : {}), items: [{ sku: skus[0], quantity: 1 }], shippingAddress: address }, key));
    t.equal(response.statusCode, 201, response.body);
    orderIds.push((response.json() as { aggregateId: string }).aggregateId);
  }
  const hints = {
    sku: fc.constantFrom(...skus),
    id: fc.constantFrom(...orderIds, query.customerId),
    customerId: fc.constantFrom(command.customerId, command.otherCustomerId),
  };
  const apis = [
    { name: 'command', routes: await routeInputs(command.app), keys: [ADMIN_KEY, CUSTOMER_KEY, OTHER_CUSTOMER_KEY] },
    { name: 'query', routes: await routeInputs(query.app), keys: [queryHarness.ADMIN_KEY, queryHarness.CUSTOMER_KEY, queryHarness.OTHER_CUSTOMER_KEY] },
  ];
  const routes = apis.flatMap(({ name, routes: inputs, keys }) => inputs.map((route) => ({ api: name, route, request: hostileRequest(route, hints, { keys }) })));
  t.ok(apis.every(({ routes: inputs }) => inputs.some((r: RouteInputs) => r.method !== 'GET' || r.params || r.querystring)), 'both APIs expose routes with inputs');
  t.comment(`routes: ${routes.map(({ api, route }) => `${api} ${route.method} ${route.path}`).join(', ')}`);

  const tally = new Map<string, Map<number, number>>();
  let baseline = await writeFingerprint();
  const generated = fc.oneof(...routes.map(({ api, route, request }) => request.map((r) => ({ api, label: `${api} ${route.method} ${route.path}`, request: r }))));
  await fc.assert(
    fc.asyncProperty(generated, async ({ api, label, request }) => {
      let response: LightMyRequestResponse;
      if (api === 'command') ({ response, after: baseline } = await sendCommand(request, baseline));
      else {
        response = await inject(query.app, request);
        assertAnswer(response, `${request.method} ${request.url.slice(0, 200)}`);
      }
      const statuses = tally.get(label) ?? new Map<number, number>();
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      tally.set(label, statuses);
    }),
    { seed, numRuns: REQUESTS },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nreplay with OUTFLOW_TEST_SEED=${seed}`, { cause: error });
  });

  for (const [label, statuses] of [...tally].sort()) t.comment(`${label}: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  const sent = [...tally.values()].reduce((sum, statuses) => sum + [...statuses.values()].reduce((a, b) => a + b, 0), 0);
  t.ok(sent >= REQUESTS, `${sent} requests sent`);
  t.equal(tally.size, routes.length, 'every route got requests');
  const answered = (test: (status: number) => boolean) => [...tally.values()].some((statuses) => [...statuses.keys()].some(test));
  t.ok(answered((s) => s >= 200 && s < 300), 'some generated commands and reads were accepted');
  t.ok(answered((s) => s === 400) && answered((s) => s === 422), 'some were refused by the schemas, some by the domain rules');
});
