// Each dependency of each API stopped for 20 s while requests keep coming (the command API's
// write Postgres; the query API's Redis, Elasticsearch and read Postgres). Throughout, both APIs
// answer only 2xx, 4xx or 503, every 503 with Retry-After and naming the dependency; no request
// outlasts the timeouts configured for what it waits on (plus a margin: a hang check, not a speed
// check); /health/ready names the stopped dependency while /health/live stays up. Once it is back
// requests succeed again, every command retried with its Idempotency-Key happened exactly once,
// and the read models equal the write model.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { everySourceRunning } from '../support/sourcesRunning.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { allProjections } from '../../read-models/registry.ts';
import { closeReadConnections, openReadConnections } from '../../query-api/main.ts';
import { buildQueryApi } from '../../query-api/server.ts';
import { ADMIN_KEY } from '../support/commandApiHarness.ts';
import { AnswerLog, commandUntilDefinitive, SteadyLoad, type RecordedAnswer } from '../support/outageLoad.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { seededRandom } from '../../lib/seededRandom.ts';
import { testSeed } from '../support/testSeed.ts';

// Four outages of 20 s, each followed by a restart (Elasticsearch's takes a while).
t.setTimeout(20 * 60_000);

const OUTAGE_MS = 20_000;
/** Above every bound below: scheduling on a loaded two-core machine, not a budget for the API. */
const MARGIN_MS = 5_000;

const cfg = config();
const { timeouts } = cfg;
const minVersionTimeoutMs = cfg.queryApi.minVersionTimeoutMs;
// The longest a request may wait on each dependency, from the configured timeouts: what one
// request does at most (connect, then two round trips; a reader's few Redis commands in turn).
const boundMs = {
  writePostgres: timeouts.postgres.connectMs + 2 * timeouts.postgres.queryReadMs,
  redis: minVersionTimeoutMs + 3 * timeouts.redisCommandMs,
  elasticsearch: 2 * timeouts.elasticsearch.requestMs * (timeouts.elasticsearch.maxRetries + 1),
  readPostgres: timeouts.postgres.connectMs + 2 * timeouts.postgres.queryReadMs,
};

const h = await pipelineHarness(t);
const stack = new LocalStack({ log: () => {} });
t.teardown(async () => {
  await stack.up(['postgres', 'postgres-read', 'redis', 'elasticsearch']);
});


t.test('each API dependency down for 20 s under load: 503 with Retry-After, no 500, no hang, full recovery', async (t) => {
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const connections = openReadConnections(cfg);
  const queries = await buildQueryApi({
    config: { ...cfg, logLevel: 'silent', auth: { ...cfg.auth, apiKeys: [{ name: 'admin', key: ADMIN_KEY, role: 'admin' as const }] } },
    ...connections,
    readGeneration: Object.fromEntries(allProjections.map((p) => [p.name, generation])),
  });
  t.teardown(async () => {
    await queries.close();
    await closeReadConnections(connections);
  });
  const get = (url: string, headers: Record<string, string> = {}) => () => queries.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } });
  const command = (method: 'POST', url: string, body: unknown, key: string) => () => h.commands.send(method, url, { body, headers: { 'idempotency-key': key } });

  // What the load reads and writes: a few products and one order, all projected before it starts.
  const skus = Array.from({ length: 4 }, (_, i) => `${h.runId}-sku-${i}`);
  for (const sku of skus) {
    const created = await h.send('POST', '/products', { sku, name: `Outage ${sku}`, description: 'Still sold when a store is down', category: 'garden', brand: 'Acme', priceCents: 1500, initialStock: 1000 });
    t.equal(created.status, 201, `product ${sku} created`);
  }
  const customerId = `${h.runId}-customer`;
  // The load's orders go to a customer of their own, so the write model's count of them is exact.
  const loadCustomerId = `${h.runId}-load-customer`;
  const address = { name: 'O', line1: '1 St', city: 'Bath', postalCode: 'BA1', country: 'GB' };
  const placed = await h.send('POST', '/orders', { customerId, items: [{ sku: skus[0], quantity: 1 }], shippingAddress: address });
  t.equal(placed.status, 201, 'the order the reads ask for is placed');
  const orderId = (placed.body as { aggregateId: string }).aggregateId;
  t.equal((await h.verify(generation)).differences.length, 0, 'caught up and equal before any outage');
  const today = new Date().toISOString().slice(0, 10);
  const routes = {
    redis: [`/orders/${orderId}`, `/customers/${customerId}/orders?limit=5`],
    elasticsearch: ['/products/search?q=outage&category=garden'],
    readPostgres: [`/reports/sales?from=${today}&to=${today}&groupBy=category`],
  };
  await pollUntil('the products searchable', async () => ((await get(routes.elasticsearch[0]!)()).json().total >= skus.length ? true : undefined), { timeoutMs: 30_000 });

  const queryLog = new AnswerLog();
  const commandLog = new AnswerLog();
  const dependencyOfRoute = new Map<string, keyof typeof boundMs>();
  for (const [dependency, urls] of Object.entries(routes)) for (const url of urls) dependencyOfRoute.set(url, dependency as keyof typeof boundMs);
  const queryUrls = [...dependencyOfRoute.keys()];
  let queryTurn = 0;
  const queryLoad = new SteadyLoad(async () => {
    const url = queryUrls[queryTurn++ % queryUrls.length]!;
    // Reading one's own write waits (bounded) for the version: the hang check covers the wait too.
    const headers: Record<string, string> = url === routes.redis[0] ? { 'x-min-version': '1' } : {};
    await queryLog.record(url, get(url, headers));
  }, { lanes: 3, pauseMs: 20 });

  const random = seededRandom(testSeed(t, 'the commands under load'));
  let commandCount = 0;
  const definitive: RecordedAnswer[] = [];
  let finishing = false;
  let finishedAt = Infinity;
  const commandLoad = new SteadyLoad(async () => {
    const key = `${h.runId}-command-${commandCount++}`;
    const sku = skus[Math.floor(random() * skus.length)]!;
    const send = random() < 0.7
      ? command('POST', '/orders', { customerId: loadCustomerId, items: [{ sku, quantity: 1 }], shippingAddress: address }, key)
      : command('POST', `/inventory/${sku}/adjustments`, { delta: 2, reason: 'restock' }, key);
    definitive.push(await commandUntilDefinitive(commandLog, 'command', send, () => finishing && Date.now() > finishedAt + 120_000));
  }, { lanes: 2, pauseMs: 20 });

  const outages = [
    { component: 'postgres', dependency: 'writePostgres', api: 'command' },
    { component: 'redis', dependency: 'redis', api: 'query' },
    { component: 'elasticsearch', dependency: 'elasticsearch', api: 'query' },
    { component: 'postgres-read', dependency: 'readPostgres', api: 'query' },
  ] as const;
  try {
    for (const { component, dependency, api } of outages) {
      const app = api === 'command' ? h.commands.app : queries;
      const log = api === 'command' ? commandLog : queryLog;
      const affected = (a: RecordedAnswer) => api === 'command' || dependencyOfRoute.get(a.route) === dependency;
      await pollUntil(`requests succeed before ${component} stops`, async () => (log.answers.slice(-10).some((a) => affected(a) && a.status < 300) ? true : undefined), { timeoutMs: 60_000 });

      await stack.down({ names: [component] });
      const stoppedAt = Date.now();
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      t.equal(ready.statusCode, 503, `${component} stopped: /health/ready answers 503`);
      t.equal(ready.json().dependencies[dependency], 'unavailable', `and names ${dependency} unavailable`);
      t.ok(ready.headers['retry-after'], 'with Retry-After');
      t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, '/health/live stays 200: the process is fine');
      // The outage itself is under test: 20 s down, not a wait for anything.
      await sleep(OUTAGE_MS);
      const during = log.between(stoppedAt, Date.now()).filter(affected);
      const unavailable = during.filter((a) => a.status === 503);
      t.ok(unavailable.length > 0, `${component} down for 20 s: ${unavailable.length} of ${during.length} ${api} requests answered 503`);
      t.same(
        [...new Set(unavailable.map((a) => (a.body as { error?: { details?: { dependency?: string } } }).error?.details?.dependency))],
        [dependency],
        `every 503 names ${dependency}`,
      );
      await stack.up([component]);
      if (component === 'postgres') await everySourceRunning(cfg);

      const restartedAt = Date.now();
      await pollUntil(`${api} requests succeed again after ${component} restarted`, async () => (log.between(restartedAt, Date.now()).some((a) => affected(a) && a.status < 300) ? true : undefined), { timeoutMs: 120_000 });
      await pollUntil('/health/ready answers 200 again', async () => ((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200 ? true : undefined), { timeoutMs: 60_000 });
    }
  } finally {
    finishing = true;
    finishedAt = Date.now();
    await queryLoad.stop();
    await commandLoad.stop();
  }

  for (const [what, log] of [['query', queryLog], ['command', commandLog]] as const) {
    const unexpected = log.answers.filter((a) => !(a.status < 300 || (a.status >= 400 && a.status < 500) || a.status === 503));
    t.same(unexpected.slice(0, 5), [], `${what} API: only 2xx, 4xx and 503 in ${log.answers.length} answers`);
    t.same(log.answers.filter((a) => a.status === 503 && !a.retryAfter).slice(0, 5), [], `${what} API: every 503 has Retry-After`);
    t.same(
      log.answers.filter((a) => a.status === 503 && /ECONN|SQLSTATE|terminat|socket|timed out|Error:/i.test(JSON.stringify(a.body))).slice(0, 5),
      [],
      `${what} API: no 503 carries a driver's words`,
    );
  }
  const slowest = (answers: RecordedAnswer[]) => answers.reduce((max, a) => Math.max(max, a.durationMs), 0);
  const commandSlowest = slowest(commandLog.answers);
  t.ok(commandSlowest <= boundMs.writePostgres + MARGIN_MS, `no command hung: the slowest took ${commandSlowest} ms (bound ${boundMs.writePostgres} + ${MARGIN_MS} ms)`);
  for (const dependency of ['redis', 'elasticsearch', 'readPostgres'] as const) {
    const took = slowest(queryLog.answers.filter((a) => dependencyOfRoute.get(a.route) === dependency));
    t.ok(took <= boundMs[dependency] + MARGIN_MS, `no ${dependency} read hung: the slowest took ${took} ms (bound ${boundMs[dependency]} + ${MARGIN_MS} ms)`);
  }

  t.same(definitive.filter((a) => a.status === 503).slice(0, 5), [], `every one of ${definitive.length} commands got a definitive answer by retrying with its Idempotency-Key`);
  const acceptedOrders = new Set(definitive.filter((a) => a.route === 'command' && a.status === 201).map((a) => (a.body as { aggregateId?: string }).aggregateId).filter(Boolean));
  const { rows } = await h.commands.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM write.orders WHERE customer_id = $1', [loadCustomerId]);
  t.equal(rows[0]!.n, acceptedOrders.size, 'each accepted order is in the write model once: retries with a key never placed a second one');

  const report = await h.verify(generation);
  t.same(report.differences.slice(0, 10), [], 'no differences after every dependency came back');
  t.equal(report.differences.length, 0);
});
