// The query API reads only the read stores: with the write database stopped it still answers
// every route with what it answered before. Afterwards the pipeline carries on (the connector
// reconnects) and the read models equal the write model.
import t from 'tap';
import { everySourceRunning } from '../support/sourcesRunning.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { allProjections } from '../../read-models/registry.ts';
import { closeReadConnections, openReadConnections } from '../../query-api/main.ts';
import { buildQueryApi } from '../../query-api/server.ts';
import { ADMIN_KEY } from '../support/commandApiHarness.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';

const h = await pipelineHarness(t);
const stack = new LocalStack({ log: () => {} });
t.teardown(async () => {
  await stack.up(['postgres']);
});

t.test('the query API answers correctly while the write database is stopped', async (t) => {
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const connections = openReadConnections(config());
  const cfg = { ...config(), logLevel: 'silent', auth: { ...config().auth, apiKeys: [{ name: 'admin', key: ADMIN_KEY, role: 'admin' as const }] } };
  const queries = await buildQueryApi({ config: { ...cfg, queryApi: { ...cfg.queryApi, minVersionTimeoutMs: 30_000 } }, ...connections, readGeneration: Object.fromEntries(allProjections.map((p) => [p.name, generation])) });
  t.teardown(async () => {
    await queries.close();
    await closeReadConnections(connections);
  });
  const get = (url: string, headers: Record<string, string> = {}) => queries.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } });

  const sku = `${h.runId}-offline`;
  const customerId = `${h.runId}-offline-customer`;
  await h.send('POST', '/products', { sku, name: 'Offline lamp', description: 'Glows without a database', category: 'garden', brand: 'Acme', priceCents: 2500, initialStock: 9 });
  const placed = await h.send('POST', '/orders', { customerId, items: [{ sku, quantity: 2 }], shippingAddress: { name: 'O', line1: '1 St', city: 'Bath', postalCode: 'BA1', country: 'GB' } });
  const orderId = (placed.body as { aggregateId: string }).aggregateId;
  // Every read model has caught up (and agrees) before the answers are recorded.
  t.equal((await h.verify(generation)).differences.length, 0, 'all read models hold the order');
  const today = new Date().toISOString().slice(0, 10);
  const urls = [
    `/orders/${orderId}`,
    `/customers/${customerId}/orders?limit=5`,
    `/products/search?q=${encodeURIComponent('offline lamp')}&category=garden`,
    `/reports/sales?from=${today}&to=${today}&groupBy=category`,
  ];
  // Search sees documents after a refresh: wait until the product is findable.
  await pollUntil('the product searchable', async () => ((await get(urls[2]!)).json().total >= 1 ? true : undefined), { timeoutMs: 30_000 });
  t.match((await get(urls[1]!)).json(), { orders: [{ orderId }] }, 'the customer list holds the order');
  const before = await Promise.all(urls.map(async (url) => (await get(url)).json()));

  await stack.down({ names: ['postgres'] });
  for (const [i, url] of urls.entries()) {
    const reply = await get(url);
    t.equal(reply.statusCode, 200, `${url} answers without the write database`);
    t.same(reply.json(), before[i], `${url}: the same answer as before`);
  }
  await stack.up(['postgres']);

  // Every source's connector lost its database; each must be streaming again before the pipeline can be compared.
  await everySourceRunning(config());
  const shipped = await h.send('POST', `/orders/${orderId}/ship`, { carrier: 'DHL', trackingNumber: 'OFF1' });
  t.equal(shipped.status, 200, 'commands are accepted again');
  const report = await h.verify(generation);
  t.same(report.differences.slice(0, 10), [], 'no differences after the write database came back');
  t.equal(report.differences.length, 0);
});
