// Rebuilding order-summary and product-search while queries and commands keep coming: no
// query fails or sees a half-built read model, and verify finds nothing to report after.
// Then a read model corrupted by hand is restored by a rebuild.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { rebuildProjection } from '../../projectors/generations/projectionRebuild.ts';
import { ORDER_SUMMARY, orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { productSearchProjection } from '../../read-models/product-search/projection.ts';
import { elasticsearchIndexOf } from '../../projectors/stores/elasticsearchLayout.ts';
import { liveElasticsearchGeneration } from '../../projectors/stores/elasticsearchLayout.ts';
import { liveGeneration, RedisKeyLayout } from '../../projectors/stores/redisKeys.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { QUERY_ADMIN_KEY, rebuildPipeline } from '../support/rebuildPipeline.ts';

const pipeline = await rebuildPipeline();
const query = await pipeline.queryApi();
const stores = openStoreConnections(pipeline.config);
t.teardown(async () => {
  await query.close();
  await stores.close();
  await pipeline.close();
});

const { skus, word } = await pipeline.seedProducts(6);
const orders = await pipeline.placeOrders(skus, 40);
const before = await pipeline.verify(['order-summary', 'product-search']);
const get = (url: string) => query.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${QUERY_ADMIN_KEY}` } });

// Nothing changes these orders during the tests, so each answer must equal the one taken
// before the rebuilds exactly; the search must find every product.
const expected = new Map<string, unknown>();
for (const id of orders) expected.set(id, (await get(`/orders/${id}`)).json());
const expectedSkus = [...skus].sort();

/** The check every query of the load makes: what is wrong with the answers for order `i`, if anything. */
async function incompleteAnswers(i: number): Promise<string[]> {
  const failures: string[] = [];
  const id = orders[i % orders.length]!;
  const order = await get(`/orders/${id}`);
  if (order.statusCode !== 200) failures.push(`GET /orders/${id}: ${order.statusCode} ${order.body}`);
  else if (JSON.stringify(order.json()) !== JSON.stringify(expected.get(id))) failures.push(`GET /orders/${id}: ${order.body}`);
  const search = await get(`/products/search?q=${word}&pageSize=100`);
  const found = search.statusCode === 200 ? (search.json().products as { sku: string }[]).map((p) => p.sku).sort() : [];
  if (search.statusCode !== 200 || JSON.stringify(found) !== JSON.stringify(expectedSkus)) failures.push(`search: ${search.statusCode} ${found.length} of ${skus.length}`);
  return failures;
}

t.test('rebuilds under query and command load: every answer is complete, verify finds no difference', async (t) => {
  // Keys parked in the live generation (other tests publish poison messages into the shared
  // topics on purpose) are differences verify explains; every other entity must agree.
  t.same(before.differences.filter((d) => !d.parked), [], 'the pipeline agrees with the write model before, but for parked keys');

  let running = true;
  let queries = 0;
  let commands = 0;
  const failures: string[] = [];
  const queryLoop = async (offset: number) => {
    for (let i = offset; running; i++) {
      failures.push(...(await incompleteAnswers(i)));
      queries += 2;
    }
  };
  const commandLoop = async () => {
    while (running) {
      await pipeline.placeOrders(skus, 1);
      commands += 1;
    }
  };
  const load = [queryLoop(0), queryLoop(20), commandLoop()];
  const [summary, search] = await Promise.all([
    rebuildProjection({ config: pipeline.config, definition: orderSummaryProjection, parallel: 2 }),
    rebuildProjection({ config: pipeline.config, definition: productSearchProjection }),
  ]);
  // A little more load on the new generations, with the workers now on them.
  const more = queries + 40;
  await pollUntil('40 more queries on the new generations', async () => (queries >= more || failures.length > 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 10 }).finally(() => (running = false));
  await Promise.all(load);

  t.same(failures, [], 'no query failed or saw a partial read model');
  t.ok(queries > 0 && commands > 0, `${queries} queries and ${commands} commands ran during the rebuilds`);
  for (const result of [summary, search]) {
    t.ok(result.switched, `${result.projection} switched`);
    t.ok(result.generation > result.previous, `${result.projection}: generation ${result.previous} → ${result.generation}`);
  }
  t.equal(await liveGeneration(stores.connections.redis, ORDER_SUMMARY), summary.generation, 'the Redis pointer names the new generation');
  t.equal(await liveElasticsearchGeneration(stores.connections.elasticsearch, 'product-search'), search.generation, 'the alias names the new generation');
  const after = await pipeline.verify(['order-summary', 'product-search']);
  t.same(after.differences, [], 'verify: zero differences');
  t.same(pipeline.worker.generations()['order-summary'], summary.generation, 'the live worker follows the new generation');
});

t.test('a read model corrupted by hand (keys and documents deleted) is restored by a rebuild', async (t) => {
  const { redis, elasticsearch } = stores.connections;
  const summaryGeneration = (await liveGeneration(redis, ORDER_SUMMARY))!;
  const searchGeneration = (await liveElasticsearchGeneration(elasticsearch, 'product-search'))!;
  // One key per DEL: on a cluster the keys live in different slots.
  const layout = RedisKeyLayout.of(redis, ORDER_SUMMARY);
  for (const id of orders.slice(0, 3)) await redis.del(layout.dataKey(summaryGeneration, `order:${id}`));
  for (const sku of skus.slice(0, 2)) await elasticsearch.delete({ index: elasticsearchIndexOf('product-search', searchGeneration), id: sku, refresh: true });
  const corrupted = await pipeline.verify(['order-summary', 'product-search'], 1);
  t.equal(corrupted.differences.filter((d) => d.kind === 'missing').length, 5, 'verify sees the 5 deleted entities');
  // The load's check, shown to fail: a half-built read model looks like this one to a query.
  t.equal(expected.size, orders.length, 'the answers taken before any damage are the reference');
  t.same(
    (await incompleteAnswers(0)).map((f) => f.replace(/:.*$/, '')),
    [`GET /orders/${orders[0]}`, 'search'],
    "the load's check reports a missing order and an incomplete search",
  );
  t.same(await incompleteAnswers(3), ['search: 200 4 of 6'], 'an order still there passes; the search is still short of 2 products');

  for (const definition of [orderSummaryProjection, productSearchProjection]) {
    const result = await rebuildProjection({ config: pipeline.config, definition });
    t.ok(result.switched, `${definition.name}: generation ${result.generation} live`);
  }
  const restored = await pipeline.verify(['order-summary', 'product-search']);
  t.same(restored.differences, [], 'restored: zero differences');
});
