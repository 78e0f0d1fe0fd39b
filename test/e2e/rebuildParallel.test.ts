// `--parallel 4` gives the same read model as `--parallel 1`: two rebuilds of
// customer-orders, one after the other without traffic in between, compared key by key. A
// switch --to rolls a rebuild back to the generation it replaced.
import t from 'tap';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import { listGenerations } from '../../projectors/generations/generationRegistry.ts';
import { switchGeneration } from '../../projectors/generations/generationSwitch.ts';
import { rebuildProjection } from '../../projectors/generations/projectionRebuild.ts';
import { CUSTOMER_ORDERS, customerOrdersProjection } from '../../read-models/customer-orders/projection.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { redisGenerationPrefix, redisPrefixPattern, scanKeys } from '../../projectors/stores/redisKeys.ts';
import { rebuildPipeline } from '../support/rebuildPipeline.ts';

const pipeline = await rebuildPipeline();
const stores = openStoreConnections(pipeline.config);
t.teardown(async () => {
  await stores.close();
  await pipeline.close();
});
const { skus } = await pipeline.seedProducts(4);
await pipeline.placeOrders(skus, 60);
await pipeline.verify([CUSTOMER_ORDERS]);

/** Every key of a generation (prefix removed) with its full contents. */
async function dump(redis: RedisConnection, generation: number): Promise<Record<string, unknown>> {
  const prefix = redisGenerationPrefix(CUSTOMER_ORDERS, generation);
  const out: Record<string, unknown> = {};
  for await (const keys of scanKeys(redis, redisPrefixPattern(prefix))) {
    for (const key of keys) {
      const type = await redis.type(key);
      out[key.slice(prefix.length)] = type === 'hash' ? await redis.hgetall(key) : type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES') : type;
    }
  }
  return out;
}

t.test('--parallel 4 and --parallel 1 build identical stores', async (t) => {
  const serial = await rebuildProjection({ config: pipeline.config, definition: customerOrdersProjection, parallel: 1 });
  const parallel = await rebuildProjection({ config: pipeline.config, definition: customerOrdersProjection, parallel: 4 });
  t.ok(serial.switched && parallel.switched, `generations ${serial.generation} (serial) and ${parallel.generation} (4 consumers) built`);
  const [a, b] = [await dump(stores.connections.redis, serial.generation), await dump(stores.connections.redis, parallel.generation)];
  const listed = Object.values(a).filter(Array.isArray).reduce((sum, members) => sum + members.length / 2, 0);
  t.ok(listed >= 60, `${Object.keys(a).length} keys listing ${listed} orders in each`);
  t.same(b, a, 'the same keys with the same contents, checkpoints included');
});

t.test('switch --to rolls back to the retired generation; verify agrees', async (t) => {
  // A rebuild of its own: the generation it replaces is the retired one to roll back to.
  const rebuilt = await rebuildProjection({ config: pipeline.config, definition: customerOrdersProjection });
  t.ok(rebuilt.switched, `generation ${rebuilt.generation} built and live, ${rebuilt.previous} retired`);
  const before = await listGenerations(stores.connections.readPostgres, CUSTOMER_ORDERS);
  t.same(
    before.filter((row) => row.generation === rebuilt.generation || row.generation === rebuilt.previous).map((row) => [row.generation, row.state]),
    [[rebuilt.previous, 'retired'], [rebuilt.generation, 'live']],
    'the registry: the previous generation retired, the new one live',
  );
  t.same(await switchGeneration(stores.connections, customerOrdersProjection, rebuilt.previous), { projection: CUSTOMER_ORDERS, from: rebuilt.generation, to: rebuilt.previous, switched: true });
  t.same((await pipeline.verify([CUSTOMER_ORDERS])).differences, [], 'the rolled-back generation is complete');
  await switchGeneration(stores.connections, customerOrdersProjection, rebuilt.generation);
});
