// A read store that forgets its last acknowledged writes while a worker runs under load (as a
// crash of Redis with AOF everysec, or of the read Postgres with synchronous_commit off, can):
// a store's read models are set back to a copy taken seconds earlier, checkpoints and data together. The worker notices that the store's
// checkpoints are behind what it applied, goes back to them and applies again, and every read
// model equals the write model. The rewinds metric shows the path was taken.
import { Redis } from 'ioredis';
import pg from 'pg';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { CHECKPOINT_TABLE, postgresTableName } from '../../projectors/stores/postgresStore.ts';
import { redisCheckpointsKey, redisGenerationPrefix, redisPrefixPattern, scanKeys } from '../../projectors/stores/redisKeys.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';

const h = await pipelineHarness(t);
const redis = new Redis(config().redis.url);
const { host, port, database, user, password } = config().readModel.postgres;
// The projector role, which owns the read-model tables.
const readPostgres = new pg.Pool({ host, port, database, user, password, max: 2 });
t.teardown(async () => {
  redis.disconnect();
  await readPostgres.end();
});

const REDIS_PROJECTIONS = ['order-summary', 'customer-orders'];

/**
 * Every key of the generations' prefixes with its DUMP: a copy of the read models as a crash
 * would leave them. The copy is taken key by key while the worker writes, so the checkpoints go
 * first: every data key is then at least as new as they are (newer data is what a redelivery
 * meets too), as in an AOF cut after some command, never older, which no store would do.
 */
async function snapshot(prefixes: readonly string[]): Promise<Map<string, Buffer>> {
  const copy = new Map<string, Buffer>();
  const dumpInto = async (keys: string[]) => {
    const dumps = await Promise.all(keys.map((key) => redis.dumpBuffer(key)));
    keys.forEach((key, i) => dumps[i] && copy.set(key, dumps[i]));
  };
  for (const prefix of prefixes) for await (const keys of scanKeys(redis, redisPrefixPattern(`${prefix}checkpoints:`))) await dumpInto(keys);
  for (const prefix of prefixes) {
    for await (const keys of scanKeys(redis, redisPrefixPattern(prefix))) await dumpInto(keys.filter((key) => !copy.has(key)));
  }
  return copy;
}

/** Sets the read models back to the copy in one MULTI: keys written since are deleted, the others restored. */
async function restore(prefixes: readonly string[], copy: Map<string, Buffer>): Promise<number> {
  const newer: string[] = [];
  for (const prefix of prefixes) {
    for await (const keys of scanKeys(redis, redisPrefixPattern(prefix))) newer.push(...keys.filter((key) => !copy.has(key)));
  }
  const multi = redis.multi();
  for (const key of newer) multi.unlink(key);
  for (const [key, dump] of copy) multi.restore(key, 0, dump, 'REPLACE');
  await multi.exec();
  return newer.length;
}

async function checkpointsOf(generation: number): Promise<string> {
  const all = await Promise.all(REDIS_PROJECTIONS.map((projection) => redis.hgetall(redisCheckpointsKey(projection, generation, 'events.order'))));
  return JSON.stringify(all);
}

/** The sales-report generation's tables and checkpoint rows, as JSON, read in one snapshot. */
async function copySalesReport(generation: number): Promise<Record<string, unknown[]>> {
  const client = await readPostgres.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const copy: Record<string, unknown[]> = {};
    for (const thing of ['daily', 'orders']) {
      const table = postgresTableName('sales-report', generation, thing);
      copy[table] = (await client.query(`SELECT row_to_json(t) AS row FROM ${pg.escapeIdentifier(table)} t`)).rows.map((r) => r.row);
    }
    copy[CHECKPOINT_TABLE] = (await client.query(`SELECT row_to_json(c) AS row FROM ${CHECKPOINT_TABLE} c WHERE projection = 'sales-report' AND generation = $1`, [generation])).rows.map((r) => r.row);
    await client.query('COMMIT');
    return copy;
  } finally {
    client.release();
  }
}

/** Puts the copy back in one transaction: what was committed since is gone, as after a crash. */
async function restoreSalesReport(generation: number, copy: Record<string, unknown[]>): Promise<void> {
  const client = await readPostgres.connect();
  try {
    await client.query('BEGIN');
    // In the workers' order: the checkpoint rows first, then the data, so neither waits on the other in a cycle.
    await client.query(`SELECT 1 FROM ${CHECKPOINT_TABLE} WHERE projection = 'sales-report' AND generation = $1 FOR UPDATE`, [generation]);
    const dataTables = Object.keys(copy).filter((table) => table !== CHECKPOINT_TABLE).map((table) => pg.escapeIdentifier(table));
    await client.query(`LOCK TABLE ${dataTables.join(', ')} IN EXCLUSIVE MODE`);
    for (const [table, rows] of Object.entries(copy)) {
      const target = table === CHECKPOINT_TABLE ? table : pg.escapeIdentifier(table);
      if (table === CHECKPOINT_TABLE) await client.query(`DELETE FROM ${target} WHERE projection = 'sales-report' AND generation = $1`, [generation]);
      else await client.query(`DELETE FROM ${target}`);
      await client.query(`INSERT INTO ${target} SELECT * FROM json_populate_recordset(null::${target}, $1)`, [JSON.stringify(rows)]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

function metricSum(text: string, name: string, projection: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(`projection="${projection}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** Messages each projection's worker has sent to its DLQ so far. */
async function parkedMessages(httpPort: number, projections: readonly string[]): Promise<Record<string, number>> {
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Object.fromEntries(projections.map((projection) => [projection, metricSum(metrics, 'outflow_projector_dlq_messages_total', projection)]));
}

t.test('Redis set back to a snapshot under load: the worker rewinds to its checkpoints, zero differences', async (t) => {
  const generation = h.newGeneration();
  const prefixes = REDIS_PROJECTIONS.map((projection) => redisGenerationPrefix(projection, generation));
  const worker = await h.spawnWorker({ generation, projections: REDIS_PROJECTIONS });
  const before = await h.verify(generation, REDIS_PROJECTIONS);
  t.equal(before.differences.length, 0, 'caught up and equal before the loss');
  // A new generation reads the topics from the start, where other tests may have left poison
  // messages: what it parked while catching up is not the loss's doing.
  const parkedBefore = await parkedMessages(worker.httpPort, REDIS_PROJECTIONS);

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  const loading = load.run(Infinity, 2);
  const moreCommands = (count: number) => {
    const target = load.tally.sent + count;
    return pollUntil(`${count} more commands sent`, async () => (load.tally.sent >= target ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });
  };
  let copy: Map<string, Buffer>;
  try {
    await moreCommands(30);
    copy = await snapshot(prefixes);
    const checkpointsThen = await checkpointsOf(generation);
    await moreCommands(60);
    // The worker must have acknowledged writes after the copy, or nothing would be lost.
    await pollUntil('checkpoints moved past the copy', async () => ((await checkpointsOf(generation)) !== checkpointsThen ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
    const deleted = await restore(prefixes, copy);
    t.comment(`set back to a copy of ${copy.size} keys; ${deleted} keys written since were deleted`);
    await moreCommands(40);
  } finally {
    load.stop();
  }
  await loading;

  const metricsUrl = `http://127.0.0.1:${worker.httpPort}/metrics`;
  for (const projection of REDIS_PROJECTIONS) {
    // The audit finds partitions that got nothing new since the loss within seconds, so this does not wait for traffic.
    const rewinds = await pollUntil(`${projection} rewound`, async () => {
      const count = metricSum(await (await fetch(metricsUrl)).text(), 'outflow_projector_checkpoint_rewinds_total', projection);
      return count > 0 ? count : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    t.ok(rewinds > 0, `${projection} went back to the store's checkpoints (${rewinds} rewinds)`);
  }

  const after = await h.verify(generation, REDIS_PROJECTIONS);
  t.same(after.differences.slice(0, 10), [], 'no differences');
  t.equal(after.differences.length, 0);
  t.same(await parkedMessages(worker.httpPort, REDIS_PROJECTIONS), parkedBefore, 'nothing parked since the loss');
  t.equal((await worker.health()).status, 'ok');
});

t.test('the read Postgres set back to an earlier copy under load: the worker rewinds, zero differences', async (t) => {
  const generation = h.newGeneration();
  const projections = ['sales-report'];
  const worker = await h.spawnWorker({ generation, projections });
  const before = await h.verify(generation, projections);
  t.equal(before.differences.length, 0, 'caught up and equal before the loss');
  const parkedBefore = await parkedMessages(worker.httpPort, projections);

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  const loading = load.run(Infinity, 2);
  const moreCommands = (count: number) => {
    const target = load.tally.sent + count;
    return pollUntil(`${count} more commands sent`, async () => (load.tally.sent >= target ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });
  };
  try {
    await moreCommands(30);
    const copy = await copySalesReport(generation);
    const checkpointsThen = JSON.stringify(copy[CHECKPOINT_TABLE]);
    await moreCommands(60);
    await pollUntil('checkpoints moved past the copy', async () => (JSON.stringify((await copySalesReport(generation))[CHECKPOINT_TABLE]) !== checkpointsThen ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await restoreSalesReport(generation, copy);
    await moreCommands(40);
  } finally {
    load.stop();
  }
  await loading;

  const metricsUrl = `http://127.0.0.1:${worker.httpPort}/metrics`;
  const rewinds = await pollUntil('sales-report rewound', async () => {
    const count = metricSum(await (await fetch(metricsUrl)).text(), 'outflow_projector_checkpoint_rewinds_total', 'sales-report');
    return count > 0 ? count : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250 });
  t.ok(rewinds > 0, `sales-report went back to the store's checkpoints (${rewinds} rewinds)`);

  const after = await h.verify(generation, projections);
  t.same(after.differences.slice(0, 10), [], 'no differences');
  t.equal(after.differences.length, 0);
  t.same(await parkedMessages(worker.httpPort, projections), parkedBefore, 'nothing parked since the loss');
  t.equal((await worker.health()).status, 'ok');
});
