// A rebuild killed with SIGKILL mid-way resumes its generation from the checkpoints when run
// again; a handler change with a version bump rebuilt gives every order, old ones included,
// the new field.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import t from 'tap';
import { listGenerations } from '../../projectors/generations/generationRegistry.ts';
import { dropGeneration } from '../../projectors/generations/generationSwitch.ts';
import { projectionStatus } from '../../projectors/generations/projectionStatus.ts';
import { rebuildProjection } from '../../projectors/generations/projectionRebuild.ts';
import { captureEndOffsets, replayProgress, type RebuildProgress } from '../../projectors/generations/rebuildProgress.ts';
import { runningRebuilds } from '../../projectors/generations/rebuildLock.ts';
import { CUSTOMER_ORDERS, customerOrdersProjection } from '../../projectors/projections/customerOrders.ts';
import { ORDER_SUMMARY, orderSummaryProjection, scanOrderSummaries } from '../../projectors/projections/orderSummary.ts';
import type { ProjectionDefinition } from '../../projectors/projection.ts';
import { openStoreContext } from '../../projectors/runtime/storeContext.ts';
import { redisGenerationPrefix } from '../../projectors/stores/redisKeys.ts';
import { RedisProjectionStore } from '../../projectors/stores/redisStore.ts';
import { rebuildPipeline } from '../support/rebuildPipeline.ts';

const pipeline = await rebuildPipeline();
const stores = openStoreContext(pipeline.config, 1);
const admin = new Kafka({ clientId: 'rebuild-resume-test', brokers: pipeline.config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
t.teardown(async () => {
  await admin.disconnect();
  await stores.close();
  await pipeline.close();
});
const { skus } = await pipeline.seedProducts(3);
await pipeline.placeOrders(skus, 30);

t.test('kill -9 during the replay, run again: the same generation resumes from its checkpoints and completes', async (t) => {
  const cli = path.join(pipeline.config.repoRoot, 'bin', 'outflow.js');
  // --concurrency 1 and manual switching keep the first run in its replay as long as possible.
  const child = spawn(process.execPath, [cli, 'projections', 'rebuild', CUSTOMER_ORDERS, '--json', '--switch', 'manual', '--concurrency', '1'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Watch the building generation's own checkpoints and kill as soon as part of the history is in.
  let generation: number | undefined;
  while (generation === undefined) {
    generation = (await listGenerations(stores.context.readPostgres, CUSTOMER_ORDERS)).find((row) => row.state === 'building')?.generation;
    if (generation === undefined) await sleep(20);
  }
  const store = customerOrdersProjection.createStore({ ...stores.context, generation });
  const ranges = await captureEndOffsets(admin, ['events.order']);
  let killedAt = await replayProgress(store, ranges);
  while (killedAt.done === 0) {
    await sleep(5);
    killedAt = await replayProgress(store, ranges);
  }
  child.kill('SIGKILL');
  killedAt = await replayProgress(store, ranges);
  await new Promise((resolve) => child.once('exit', resolve));
  t.ok(killedAt.done > 0, `killed with ${killedAt.done} of ${killedAt.total} events replayed`);
  if (killedAt.done < killedAt.total) t.pass('the kill landed during the replay');
  else t.comment('this machine replayed the whole history before the kill landed');
  const building = (await listGenerations(stores.context.readPostgres, CUSTOMER_ORDERS)).find((row) => row.state === 'building');
  t.ok(building, 'the registry still records the building generation');
  t.notOk((await runningRebuilds(stores.context.readPostgres)).some((r) => r.projection === CUSTOMER_ORDERS), 'its lock went with the killed process');

  let firstProgress: RebuildProgress | undefined;
  const result = await rebuildProjection({ config: pipeline.config, definition: customerOrdersProjection, onProgress: (p) => (firstProgress ??= p) });
  t.ok(result.resumed, 'resumed');
  t.equal(result.generation, building!.generation, 'the same generation');
  t.ok(firstProgress!.done >= killedAt.done, `started at ${firstProgress!.done} events done, not 0`);
  t.ok(result.switched, 'completed and switched');
  const report = await pipeline.verify([CUSTOMER_ORDERS]);
  t.same(report.differences, [], 'zero differences');
});

t.test('a handler change with a version bump, rebuilt: the new field is there for every order, old ones included', async (t) => {
  // order-summary as the next version of the code would have it: OrderPlaced also stores itemCount.
  const nextVersion: ProjectionDefinition = {
    ...orderSummaryProjection,
    version: orderSummaryProjection.version + 1,
    createStore: (context) =>
      new RedisProjectionStore(context, ORDER_SUMMARY, (event) =>
        orderSummaryProjection.opsFor(event).map((op) =>
          op.op === 'hsetIfNewer' && event.type === 'OrderPlaced' ? { ...op, fields: { ...op.fields, itemCount: String(event.event.items.length) } } : op,
        ),
      ),
  };
  const status = await projectionStatus(stores.context, nextVersion);
  t.same(status.rebuildRequired, ['code version 1 → 2'], 'status: rebuild required, and why');

  // Manual switching: look at the finished generation, then leave the live one as it is.
  const stop = new AbortController();
  const result = await rebuildProjection({
    config: pipeline.config,
    definition: nextVersion,
    switchMode: 'manual',
    onProgress: (p) => p.phase === 'ready' && stop.abort(),
    signal: stop.signal,
  });
  t.teardown(() => dropGeneration(stores.context, nextVersion, result.generation).then(() => undefined));
  t.ok(result.interrupted && !result.switched, 'built and caught up, not switched');

  const expected = (await pipeline.verify([ORDER_SUMMARY])).writeModel.orders;
  let orders = 0;
  let withField = 0;
  for await (const summary of scanOrderSummaries(stores.context.redis, { generation: result.generation })) {
    orders += 1;
    const itemCount = await stores.context.redis.hget(`${redisGenerationPrefix(ORDER_SUMMARY, result.generation)}order:${summary.orderId}`, 'itemCount');
    if (itemCount === String(summary.items.length)) withField += 1;
  }
  t.ok(orders >= expected, `${orders} orders in the new generation (the write model had ${expected})`);
  t.equal(withField, orders, 'every one has itemCount, orders placed before the change included');
});
