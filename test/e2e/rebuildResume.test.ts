// A rebuild killed with SIGKILL mid-way resumes its generation from the checkpoints when run
// again; a handler change with a version bump rebuilt gives every order, old ones included,
// the new field.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { listGenerations } from '../../projectors/generations/generationRegistry.ts';
import { dropGeneration } from '../../projectors/generations/generationSwitch.ts';
import { projectionStatus } from '../../projectors/generations/projectionStatus.ts';
import { rebuildProjection } from '../../projectors/generations/projectionRebuild.ts';
import { captureEndOffsets, replayProgress, type RebuildProgress } from '../../projectors/generations/rebuildProgress.ts';
import { runningRebuilds } from '../../projectors/generations/rebuildLock.ts';
import { CUSTOMER_ORDERS, customerOrdersProjection } from '../../read-models/customer-orders/projection.ts';
import { ORDER_SUMMARY, orderSummaryProjection, scanOrderSummaries } from '../../read-models/order-summary/projection.ts';
import type { ProjectionDefinition } from '../../projectors/projection.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { redisGenerationPrefix } from '../../projectors/stores/redisKeys.ts';
import { RedisProjectionStore } from '../../projectors/stores/redisStore.ts';
import { rebuildPipeline } from '../support/rebuildPipeline.ts';

const pipeline = await rebuildPipeline();
const stores = openStoreConnections(pipeline.config);
const admin = kafkaClient(pipeline.config, 'rebuild-resume-test', { clientId: 'rebuild-resume-test' }).admin();
await admin.connect();
t.teardown(async () => {
  await admin.disconnect();
  await stores.close();
  await pipeline.close();
});
const pool = stores.connections.readPostgres;
const { skus } = await pipeline.seedProducts(3);
// More history, a wider window for the kill below to land in the middle of the replay.
await pipeline.placeOrders(skus, 120);
const cli = path.join(pipeline.config.repoRoot, 'bin', 'outflow.js');

async function noRebuildRunning(): Promise<void> {
  await pollUntil('no rebuild of customer-orders holds its lock', async () => ((await runningRebuilds(pool)).some((r) => r.projection === CUSTOMER_ORDERS) ? undefined : true), { timeoutMs: 120_000 });
}

interface KilledRebuild {
  generation: number;
  /** Replay progress right after the kill, against end offsets taken before the rebuild started. */
  done: number;
  total: number;
}

/**
 * `outflow projections rebuild` as a child process, killed with SIGKILL as soon as its new
 * generation holds part of the history. A building generation an earlier run left is dropped
 * first, so the rebuild starts at 0.
 */
async function rebuildKilledOnceStarted(): Promise<KilledRebuild> {
  await noRebuildRunning();
  const leftover = (await listGenerations(pool, CUSTOMER_ORDERS)).find((row) => row.state === 'building');
  if (leftover) await dropGeneration(stores.connections, customerOrdersProjection, leftover.generation, admin);
  // Taken before the child starts: its own replay target is at least this, so done < total here means its replay was unfinished.
  const ranges = await captureEndOffsets(admin, ['events.order']);
  // --concurrency 1 and manual switching keep the run in its replay as long as possible.
  const child = spawn(process.execPath, [cli, 'projections', 'rebuild', CUSTOMER_ORDERS, '--json', '--switch', 'manual', '--concurrency', '1'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exitedEarly = exited.then(() => Promise.reject(new Error(`the rebuild exited (code ${child.exitCode}) before it was killed`)));
  exitedEarly.catch(() => undefined); // raced below; after the kill nobody waits for it
  try {
    const generation = await Promise.race([
      pollUntil('the rebuild registers its building generation', async () => (await listGenerations(pool, CUSTOMER_ORDERS)).find((row) => row.state === 'building')?.generation, { timeoutMs: 60_000, intervalMs: 10 }),
      exitedEarly,
    ]);
    const store = customerOrdersProjection.createStore(stores.connections, generation);
    await Promise.race([
      pollUntil('part of the history replayed', async () => ((await replayProgress(store, ranges)).done > 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 5 }),
      exitedEarly,
    ]);
    child.kill('SIGKILL');
    await exited;
    return { generation, ...(await replayProgress(store, ranges)) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

t.test('kill -9 during the replay, run again: the same generation resumes from its checkpoints and completes', async (t) => {
  // The precondition, made to hold: the kill lands with part, not all, of the history replayed.
  let killed: KilledRebuild | undefined;
  for (let attempt = 1; attempt <= 3 && !killed; attempt++) {
    const run = await rebuildKilledOnceStarted();
    if (run.done > 0 && run.done < run.total) killed = run;
    else {
      t.comment(`attempt ${attempt}: killed with ${run.done} of ${run.total} events replayed, not mid-replay; more history, then again`);
      await pipeline.placeOrders(skus, 300);
    }
  }
  t.ok(killed, killed ? `killed mid-replay with ${killed.done} of ${killed.total} events replayed` : 'the kill landed mid-replay within 3 attempts');
  if (!killed) return;
  const building = (await listGenerations(pool, CUSTOMER_ORDERS)).find((row) => row.state === 'building');
  t.equal(building?.generation, killed.generation, 'the registry still records the building generation');
  const released = await noRebuildRunning().then(() => true, () => false);
  t.ok(released, 'its lock went with the killed process');

  let firstProgress: RebuildProgress | undefined;
  const result = await rebuildProjection({ config: pipeline.config, definition: customerOrdersProjection, onProgress: (p) => (firstProgress ??= p) });
  t.ok(result.resumed, 'resumed');
  t.equal(result.generation, killed.generation, 'the same generation');
  t.ok(firstProgress && firstProgress.done >= killed.done, `started at ${firstProgress?.done} events done, not 0`);
  t.ok(result.switched, 'completed and switched');
  const report = await pipeline.verify([CUSTOMER_ORDERS]);
  t.same(report.differences, [], 'zero differences');
});

t.test('a handler change with a version bump, rebuilt: the new field is there for every order, old ones included', async (t) => {
  // order-summary as the next version of the code would have it: OrderPlaced also stores itemCount.
  const nextVersion: ProjectionDefinition = {
    ...orderSummaryProjection,
    version: orderSummaryProjection.version + 1,
    createStore: (connections, generation) =>
      new RedisProjectionStore(connections, generation, ORDER_SUMMARY, (event) =>
        orderSummaryProjection.opsFor(event).map((op) =>
          op.op === 'hsetIfNewer' && event.type === 'OrderPlaced' ? { ...op, fields: { ...op.fields, itemCount: String(event.event.items.length) } } : op,
        ),
      ),
  };
  const status = await projectionStatus(stores.connections, nextVersion);
  const { version } = orderSummaryProjection;
  t.same(status.rebuildRequired, [`code version ${version} → ${version + 1}`], 'status: rebuild required, and why');

  // Manual switching: look at the finished generation, then leave the live one as it is.
  const stop = new AbortController();
  const result = await rebuildProjection({
    config: pipeline.config,
    definition: nextVersion,
    switchMode: 'manual',
    onProgress: (p) => p.phase === 'ready' && stop.abort(),
    signal: stop.signal,
  });
  t.teardown(() => dropGeneration(stores.connections, nextVersion, result.generation).then(() => undefined));
  t.ok(result.interrupted && !result.switched, 'built and caught up, not switched');

  const expected = (await pipeline.verify([ORDER_SUMMARY])).writeModel.orders;
  let orders = 0;
  let withField = 0;
  for await (const summary of scanOrderSummaries(stores.connections.redis, { generation: result.generation })) {
    orders += 1;
    const itemCount = await stores.connections.redis.hget(`${redisGenerationPrefix(ORDER_SUMMARY, result.generation)}order:${summary.orderId}`, 'itemCount');
    if (itemCount === String(summary.items.length)) withField += 1;
  }
  t.ok(orders >= expected, `${orders} orders in the new generation (the write model had ${expected})`);
  t.equal(withField, orders, 'every one has itemCount, orders placed before the change included');
});
