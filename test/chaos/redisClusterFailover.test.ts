// A Redis Cluster primary killed with SIGKILL under load: its replica takes over, the projector
// worker retries what failed meanwhile (a dead connection, then writes the new primary, with no
// replica left, could not get acknowledged by one), the killed node comes back as a replica, and
// both Redis read models equal the write model: zero differences. Runs on the test stack's
// 3+3 cluster whatever layout the rest of the suite runs on.
import t from 'tap';
import type { Cluster } from 'ioredis';
import { loadConfig } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { openRedis } from '../../lib/redisConnection.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { runningPid } from '../../infra/local/processControl.ts';
import { pipelineHarness, waitForAssignment } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { ensureStack } from '../support/stack.ts';
import { testSeed } from '../support/testSeed.ts';

const h = await pipelineHarness(t, { redisLayout: 'cluster' });
const clusterConfig = loadConfig({ ...process.env, OUTFLOW_REDIS_LAYOUT: 'cluster' });
const nodes = new LocalStack({ config: clusterConfig, log: () => {} }).select(['redis-cluster']);
const redis = openRedis(clusterConfig) as Cluster;
t.teardown(() => redis.quit());

/** The node's role as it reports it (INFO replication), from a connection of its own. */
async function roleOf(port: number): Promise<string | undefined> {
  const node = openRedis({ ...clusterConfig, redis: { ...clusterConfig.redis, layout: 'single', url: `redis://${clusterConfig.stack.host}:${port}` } }, { options: { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null } });
  try {
    return /role:(\w+)/.exec(await node.info('replication'))?.[1];
  } catch {
    return undefined;
  } finally {
    node.disconnect();
  }
}

t.test('kill a primary under load: its replica takes over, the read models catch up, zero differences', async (t) => {
  const generation = h.newGeneration();
  const projections = ['order-summary', 'customer-orders'];
  const worker = await h.spawnWorker({ generation, projections });
  await waitForAssignment(worker, 'order-summary', 'events.order', (n) => n === clusterConfig.events.partitions);

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  const loading = load.run(900, 4);
  await pollUntil('a third of the load sent', async () => (load.tally.sent >= 300 ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });

  const victim = redis.nodes('master')[0]?.options.port;
  const component = nodes.find((node) => node.port === victim);
  const pid = component && runningPid(component.pidFile);
  if (!component || pid === undefined) throw new Error(`no running cluster node of this stack on port ${victim}`);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  t.comment(`killed ${component.name} (port ${victim}, a primary) with ${load.tally.sent} commands sent`);

  // Its replica is promoted once the others have not heard from it for the node timeout.
  const others = nodes.filter((node) => node !== component).map((node) => node.port);
  const promoted = await pollUntil('a replica of the killed primary promoted', async () => {
    const roles = await Promise.all(others.map(roleOf));
    return roles.filter((role) => role === 'master').length === 3 ? roles : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal(promoted.filter((role) => role === 'master').length, 3, `three primaries again after ${((Date.now() - killedAt) / 1000).toFixed(1)} s, without the killed node`);

  await loading;
  t.ok(load.tally.sent >= 900, `${load.tally.sent} commands sent, before and after the kill`);

  // Back from its data directory, it learns that it was replaced and follows the new primary.
  await ensureStack('redis-cluster');
  const rejoined = await pollUntil('the killed node back as a replica', async () => ((await roleOf(component.port)) === 'slave' ? true : undefined), { timeoutMs: 60_000, intervalMs: 250 });
  t.ok(rejoined, `${component.name} is a replica now`);

  const report = await h.verify(generation, projections);
  // What the worker met while the primary was gone, worth seeing whether or not it passes.
  const kinds = new Map<string, number>();
  for (const line of worker.output().filter((l) => /"level":(40|50|60)/.test(l))) {
    const { msg, err } = JSON.parse(line) as { msg?: string; err?: string | { message?: string } };
    const why = (typeof err === 'string' ? err : err?.message) ?? '';
    const kind = `${msg}: ${why.slice(0, 160)}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, count] of kinds) t.comment(`worker warned ${count}x: ${kind}`);
  t.same(report.differences.slice(0, 10), [], 'no differences');
  t.equal(report.differences.length, 0, 'order-summary and customer-orders equal the write model');
});
