// Every read answer tells how fresh its read model is: the Outflow-Freshness header carries the
// live generation, the applied position (the store's own checkpoints, summed) and the age of the
// newest change applied, measured from the commit-time occurredAt the workers store with each
// checkpoint, in all three stores.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { allProjections } from '../../read-models/registry.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { FRESHNESS_HEADER } from '../../query-api/readModelFreshness.ts';
import { QUERY_ADMIN_KEY, rebuildPipeline } from '../support/rebuildPipeline.ts';

const pipeline = await rebuildPipeline();
const stores = openStoreConnections(pipeline.config);
t.teardown(async () => {
  await stores.close();
  await pipeline.close();
});

interface Freshness {
  generation: number;
  position: bigint;
  ageMs?: number;
}

function parseFreshness(value: unknown): Freshness | undefined {
  if (typeof value !== 'string') return undefined;
  const fields = new Map(value.split(',').map((member) => member.trim().split('=') as [string, string]));
  const generation = Number(fields.get('generation'));
  const position = fields.get('position');
  if (!Number.isSafeInteger(generation) || position === undefined || !/^\d+$/.test(position)) throw new Error(`malformed ${FRESHNESS_HEADER}: ${value}`);
  const age = fields.get('age-ms');
  return { generation, position: BigInt(position), ...(age === undefined ? {} : { ageMs: Number(age) }) };
}

/** What the header must say for a projection, read from its live generation's store directly. */
async function expectedOf(projection: string): Promise<{ generation: number; position: bigint; newestSourceTimeMs: number | undefined }> {
  const definition = allProjections.find((p) => p.name === projection)!;
  const generation = (await definition.liveGeneration(stores.connections))!;
  const store = definition.createStore(stores.connections, generation);
  let position = 0n;
  let newest: number | undefined;
  for (const topic of topicsOf(definition)) {
    for (const { offset, sourceTimeMs } of (await store.readFreshness(topic)).values()) {
      position += BigInt(offset) + 1n;
      if (sourceTimeMs !== undefined) newest = Math.max(newest ?? 0, sourceTimeMs);
    }
  }
  return { generation, position, newestSourceTimeMs: newest };
}

const before = Date.now();
const { skus, word } = await pipeline.seedProducts(2);
const [orderId] = await pipeline.placeOrders(skus, 3);
await pipeline.verify(allProjections.map((p) => p.name));
const today = new Date().toISOString().slice(0, 10);
const routes: Record<string, string> = {
  'order-summary': `/orders/${orderId}`,
  'product-search': `/products/search?q=${word}`,
  'sales-report': `/reports/sales?from=${today}&to=${today}`,
};

t.test('each store records, with its checkpoints, when the newest applied change happened', async (t) => {
  for (const projection of allProjections) {
    const { newestSourceTimeMs } = await expectedOf(projection.name);
    t.ok(newestSourceTimeMs !== undefined && newestSourceTimeMs >= before && newestSourceTimeMs <= Date.now(), `${projection.name}: ${newestSourceTimeMs} lies between the test's first command and now`);
  }
});

t.test('every read route answers with Outflow-Freshness equal to its store: generation, position, age', async (t) => {
  const api = await pipeline.queryApi({ freshnessRefreshMs: 100 });
  t.teardown(() => api.close());
  const order = (await api.app.inject({ method: 'GET', url: routes['order-summary']!, headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } })).json();
  routes['customer-orders'] = `/customers/${order.customerId}/orders`;
  t.same(Object.keys(routes).sort(), allProjections.map((p) => p.name).sort(), 'a route per read model');
  for (const [projection, url] of Object.entries(routes)) {
    const expected = await expectedOf(projection);
    const seen = await pollUntil(`${projection}: the header matches the store`, async () => {
      const sentAt = Date.now();
      const response = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } });
      const freshness = parseFreshness(response.headers[FRESHNESS_HEADER]);
      return response.statusCode === 200 && freshness?.position === expected.position ? { freshness, sentAt, answeredAt: Date.now() } : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50 });
    const { freshness, sentAt, answeredAt } = seen;
    t.equal(freshness.generation, expected.generation, `${projection}: the live generation`);
    const newest = expected.newestSourceTimeMs!;
    // The same checkpoints as the store's, so the same newest source time: the age is the time since it, taken while answering.
    t.ok(freshness.ageMs !== undefined && freshness.ageMs >= sentAt - newest - 1 && freshness.ageMs <= answeredAt - newest + 1,
      `${projection}: age-ms ${freshness.ageMs} is the time since the stored source time (${sentAt - newest}..${answeredAt - newest} ms)`);
  }
  const missing = await api.app.inject({ method: 'GET', url: '/orders/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } });
  t.equal(missing.statusCode, 404);
  t.ok(parseFreshness(missing.headers[FRESHNESS_HEADER]), 'a 404 tells how fresh the model that did not have it is');
  const health = await api.app.inject({ method: 'GET', url: '/health/live' });
  t.equal(health.headers[FRESHNESS_HEADER], undefined, 'routes that read no model carry none');
});

t.test('the position grows as the read model applies new events', async (t) => {
  const api = await pipeline.queryApi({ freshnessRefreshMs: 100 });
  t.teardown(() => api.close());
  const read = async (): Promise<Freshness | undefined> =>
    parseFreshness((await api.app.inject({ method: 'GET', url: routes['order-summary']!, headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } })).headers[FRESHNESS_HEADER]);
  const first = await pollUntil('a first header', read, { timeoutMs: 15_000, intervalMs: 50 });
  await pipeline.placeOrders(skus, 1);
  const later = await pollUntil('the position moved', async () => {
    const now = await read();
    return now && now.position > first.position ? now : undefined;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  t.ok(later.position > first.position, `position ${first.position} → ${later.position}`);
});

t.test('OUTFLOW_QUERY_FRESHNESS_REFRESH_MS=0 turns the header off', async (t) => {
  const api = await pipeline.queryApi({ freshnessRefreshMs: 0 });
  t.teardown(() => api.close());
  await new Promise((resolve) => setTimeout(resolve, 300));
  const response = await api.app.inject({ method: 'GET', url: routes['order-summary']!, headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } });
  t.equal(response.statusCode, 200);
  t.equal(response.headers[FRESHNESS_HEADER], undefined);
});
