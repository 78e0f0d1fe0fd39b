// ProjectionStore.activate(): each store adapter moves its readers' pointer to a generation in
// one step, and back (a roll back), while both generations keep their data.
import t from 'tap';
import { elasticsearchAliasOf, elasticsearchIndexOf } from '../../../projectors/stores/elasticsearchLayout.ts';
import { livePostgresGeneration, postgresViewName } from '../../../projectors/stores/postgresStore.ts';
import { liveGeneration, RedisKeyLayout, redisLivePointerKey } from '../../../projectors/stores/redisKeys.ts';
import type { ProjectionDefinition, ProjectionStore } from '../../../projectors/projection.ts';
import {
  elasticsearchGenerationProjection,
  openTestStores,
  orderPlacedBatch,
  postgresGenerationProjection,
  redisGenerationProjection,
  storeOf,
} from '../../support/generationTestProjections.ts';
import { ensureStack } from '../../support/stack.ts';

await ensureStack('redis', 'postgres-read', 'elasticsearch');
const stores = openTestStores();
const { connections: context } = stores;
const created: ProjectionStore[] = [];
t.teardown(async () => {
  for (const store of created) await store.truncate();
  await stores.close();
});

async function twoGenerations(definition: ProjectionDefinition) {
  const one = storeOf(definition, context, 1);
  const two = storeOf(definition, context, 2);
  created.push(one, two);
  await one.init();
  await two.init();
  await one.applyBatch(orderPlacedBatch(['order-a']));
  await two.applyBatch(orderPlacedBatch(['order-a', 'order-b']));
  return { one, two };
}

t.test('Redis: activate() SETs the pointer key; both generations keep their data', async (t) => {
  const definition = redisGenerationProjection();
  const { one, two } = await twoGenerations(definition);
  t.equal(await definition.liveGeneration(context), 1, 'init() pointed the first generation only');
  await two.activate();
  t.equal(await liveGeneration(context.redis, definition.name), 2);
  t.equal(await context.redis.get(redisLivePointerKey(definition.name)), '2');
  t.equal(await context.redis.hget(RedisKeyLayout.of(context.redis, definition.name).dataKey(1, 'order:order-a'), 'status'), 'placed', 'the old generation is untouched');
  await one.activate();
  t.equal(await definition.liveGeneration(context), 1, 'rolled back');
});

t.test('Elasticsearch: activate() moves the alias in one request; it never names two indices', async (t) => {
  const definition = elasticsearchGenerationProjection();
  const { one, two } = await twoGenerations(definition);
  const alias = elasticsearchAliasOf(definition.name);
  t.equal(await definition.liveGeneration(context), 1);
  await two.activate();
  t.same(Object.keys(await context.elasticsearch.indices.getAlias({ name: alias })), [elasticsearchIndexOf(definition.name, 2)]);
  await context.elasticsearch.indices.refresh({ index: alias });
  t.equal((await context.elasticsearch.count({ index: alias })).count, 2, 'reads through the alias see generation 2');
  await one.activate();
  t.same(Object.keys(await context.elasticsearch.indices.getAlias({ name: alias })), [elasticsearchIndexOf(definition.name, 1)]);
  t.equal(await definition.liveGeneration(context), 1);
  await one.activate();
  t.equal(await definition.liveGeneration(context), 1, 'activating the live generation again changes nothing');
});

t.test('Postgres: activate() replaces every view in one transaction', async (t) => {
  const definition = postgresGenerationProjection();
  const { one, two } = await twoGenerations(definition);
  const pool = context.readPostgres;
  const read = async () => ({
    orders: (await pool.query(`SELECT count(*)::int AS n FROM ${postgresViewName(definition.name, 'orders')}`)).rows[0].n,
    totals: (await pool.query(`SELECT orders::int AS n FROM ${postgresViewName(definition.name, 'totals')}`)).rows[0].n,
  });
  t.same(await read(), { orders: 1, totals: 1 });
  await two.activate();
  t.equal(await livePostgresGeneration(pool, definition.name, 'orders'), 2);
  t.equal(await livePostgresGeneration(pool, definition.name, 'totals'), 2);
  t.same(await read(), { orders: 2, totals: 2 });
  await one.activate();
  t.same(await read(), { orders: 1, totals: 1 }, 'rolled back: both views on generation 1');
  t.equal(await definition.liveGeneration(context), 1);
});
