// The generation registry, the rebuild locks, switching and dropping, against the real
// read-model Postgres and Redis, with projections under names of their own.
import t from 'tap';
import { config } from '../../../lib/config.ts';
import { GenerationRefused, RebuildRefused } from '../../../lib/errors.ts';
import {
  createBuildingGeneration,
  ensureGenerationRegistry,
  ensureLiveGeneration,
  listGenerations,
  markCaughtUp,
  withRegistryLock,
} from '../../../projectors/generations/generationRegistry.ts';
import { dropGeneration, switchGeneration } from '../../../projectors/generations/generationSwitch.ts';
import { fingerprintOf } from '../../../projectors/generations/projectionFingerprint.ts';
import { projectionStatus } from '../../../projectors/generations/projectionStatus.ts';
import { RebuildLock, runningRebuilds } from '../../../projectors/generations/rebuildLock.ts';
import { liveGeneration } from '../../../projectors/stores/redisKeys.ts';
import { openTestStores, orderPlacedBatch, redisGenerationProjection, storeOf } from '../../support/generationTestProjections.ts';
import { ensureStack } from '../../support/stack.ts';

await ensureStack('redis', 'postgres-read');
const stores = openTestStores();
const { connections: context } = stores;
const pool = context.readPostgres;
await ensureGenerationRegistry(pool);
const names: string[] = [];
t.teardown(async () => {
  await pool.query('DELETE FROM projection_generations WHERE projection = ANY($1)', [names]);
  await stores.close();
});

function projection() {
  const definition = redisGenerationProjection();
  names.push(definition.name);
  return definition;
}

t.test('a projection without any generation gets generation 1 recorded as live; one with a pointer adopts it', async (t) => {
  const fresh = projection();
  const first = await ensureLiveGeneration(pool, fresh.name, undefined, fingerprintOf(fresh));
  t.same(first, { generation: 1, recorded: true });
  t.same(await ensureLiveGeneration(pool, fresh.name, undefined, fingerprintOf(fresh)), { generation: 1, recorded: false }, 'recorded once');
  const [row] = await listGenerations(pool, fresh.name);
  t.match(row, { state: 'live', origin: 'initial', codeVersion: 1, fingerprint: fingerprintOf(fresh) });

  const older = projection();
  const adopted = await ensureLiveGeneration(pool, older.name, 3, fingerprintOf(older));
  t.same(adopted, { generation: 3, recorded: true });
  t.match((await listGenerations(pool, older.name))[0], { state: 'live', origin: 'adopted', fingerprint: null });
  t.match((await projectionStatus(context, older)).rebuildRequired, ['the generation has no recorded fingerprint']);
});

t.test('one rebuild per projection: a second one is refused naming the running one; a dead session frees it', async (t) => {
  const definition = projection();
  await ensureLiveGeneration(pool, definition.name, undefined, fingerprintOf(definition));
  const lock = await RebuildLock.acquire(config(), definition.name, 2);
  const generation = await withRegistryLock(pool, definition.name, (tx) => createBuildingGeneration(tx, definition.name, fingerprintOf(definition), 2));
  t.equal(generation, 2);
  t.ok((await runningRebuilds(pool)).some((r) => r.projection === definition.name && r.generation === 2), 'listed as running');
  const refused = await RebuildLock.acquire(config(), definition.name, 2).catch((error: unknown) => error);
  t.type(refused, RebuildRefused);
  t.match((refused as Error).message, new RegExp(`rebuild of ${definition.name} refused: another rebuild of ${definition.name} is running; running: ${definition.name} generation 2 \\(since `));
  // The session ending is what kill -9 does to the rebuild's connection.
  await lock.release();
  t.notOk((await runningRebuilds(pool)).some((r) => r.projection === definition.name), 'no longer running');
  const again = await RebuildLock.acquire(config(), definition.name, 2);
  t.ok(again, 'the next rebuild may start (and resumes the building generation)');
  await again.release();
});

t.test('the cap on concurrent rebuilds refuses one more and names those running', async (t) => {
  const [a, b] = [projection(), projection()];
  for (const definition of [a, b]) await ensureLiveGeneration(pool, definition.name, undefined, fingerprintOf(definition));
  // Slots are shared by every projection: fill all of a cap of 1 with a's rebuild.
  const lockA = await RebuildLock.acquire(config(), a.name, 1);
  await withRegistryLock(pool, a.name, (tx) => createBuildingGeneration(tx, a.name, fingerprintOf(a), 2));
  const refused = await RebuildLock.acquire(config(), b.name, 1).catch((error: unknown) => error);
  t.type(refused, RebuildRefused);
  t.match((refused as RebuildRefused).message, /1 rebuild\(s\) are running, the most OUTFLOW_REBUILD_MAX_CONCURRENT allows; running: .*generation 2/);
  t.match((refused as RebuildRefused).message, a.name);
  t.equal((refused as RebuildRefused).code, 'OUTFLOW_ERR_REBUILD_REFUSED');
  await lockA.release();
  const lockB = await RebuildLock.acquire(config(), b.name, 1);
  await lockB.release();
});

t.test('switch moves the registry and the pointer together; roll back with --to; drop refuses the live one', async (t) => {
  const definition = projection();
  const one = storeOf(definition, context, 1);
  const two = storeOf(definition, context, 2);
  t.teardown(async () => {
    await one.truncate();
    await two.truncate();
  });
  await one.init();
  await ensureLiveGeneration(pool, definition.name, await definition.liveGeneration(context), fingerprintOf(definition));
  await withRegistryLock(pool, definition.name, (tx) => createBuildingGeneration(tx, definition.name, fingerprintOf(definition), 2));
  await two.init();
  await two.applyBatch(orderPlacedBatch(['order-1']));

  const early = await switchGeneration(context, definition).catch((error: unknown) => error);
  t.type(early, GenerationRefused, 'not caught up yet: refused');
  t.match((early as Error).message, /has not caught up yet/);
  t.equal(await liveGeneration(context.redis, definition.name), 1, 'the pointer did not move');

  await markCaughtUp(pool, definition.name, 2);
  t.same(await switchGeneration(context, definition), { projection: definition.name, from: 1, to: 2, switched: true });
  t.equal(await liveGeneration(context.redis, definition.name), 2);
  t.match(await listGenerations(pool, definition.name), [{ generation: 1, state: 'retired' }, { generation: 2, state: 'live' }]);

  t.same(await switchGeneration(context, definition, 1), { projection: definition.name, from: 2, to: 1, switched: true }, 'roll back');
  t.equal(await liveGeneration(context.redis, definition.name), 1);

  const live = await dropGeneration(context, definition, 1).catch((error: unknown) => error);
  t.type(live, GenerationRefused);
  t.match((live as Error).message, /generation 1: it is the live generation/);
  await dropGeneration(context, definition, 2);
  t.equal(await context.redis.exists(`outflow:${definition.name}:g2:order:order-1`), 0, 'its data is gone');
  t.match(await listGenerations(pool, definition.name), [{ generation: 1, state: 'live' }, { generation: 2, state: 'dropped' }]);
  const gone = await switchGeneration(context, definition, 2).catch((error: unknown) => error);
  t.match((gone as Error).message, /generation 2: it was dropped/);
  const unknown = await switchGeneration(context, definition, 9).catch((error: unknown) => error);
  t.match((unknown as Error).message, /generation 9: no such generation/);
});
