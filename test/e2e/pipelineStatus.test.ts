// `outflow status` on the real stack: with no worker on the live generations it exits 1 naming
// each projection; with workers running and caught up it is healthy, shows every partition held,
// lag 0, events/s while commands flow and the workers' freshness (keys parked by other files'
// poison rows stay a problem); a stopped Kafka Connect and a
// worker that left are named as problems.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { waitUntilRunning } from '../../connectors/applyConnector.ts';
import { ConnectClient } from '../../connectors/connectClient.ts';
import { COMMAND_API_SOURCE, sourceConnector } from '../../connectors/sourceConnector.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { listGenerations } from '../../projectors/generations/generationRegistry.ts';
import { allProjections } from '../../read-models/registry.ts';
import { AGGREGATE_TYPES } from '../../schemas/eventCatalog.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import type { PipelineStatus } from '../../status/pipelineStatus.ts';
import { pipelineHarness, type ChildWorker } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';

const h = await pipelineHarness(t);
const cfg = config();
const stack = new LocalStack({ log: () => {} });
t.teardown(() => stack.up(['kafka-connect']));

type StatusJson = PipelineStatus & { healthy: boolean; problems: string[] };

function outflowStatus(...args: string[]): Promise<{ code: number; json: StatusJson; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'status', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      try {
        resolve({ code: code ?? 1, json: JSON.parse(stdout) as StatusJson, stderr });
      } catch (error) {
        reject(new Error(`outflow status printed no JSON (exit ${code}): ${stdout}\n${stderr}`, { cause: error }));
      }
    });
  });
}

// The live generation of each projection, as workers following it would consume it.
const stores = openStoreConnections({ ...cfg, logLevel: 'silent' });
const liveOf = new Map((await listGenerations(stores.connections.readPostgres)).filter((g) => g.state === 'live').map((g) => [g.projection, g.generation]));
await stores.close();
t.equal(liveOf.size, allProjections.length, 'every projection has a live generation');

t.test('no worker on the live generations: exit 1, each projection named', async (t) => {
  const { code, json } = await outflowStatus('--sample-ms', '100', '--worker-metrics', '');
  t.equal(code, 1);
  t.equal(json.healthy, false);
  for (const p of allProjections) t.ok(json.problems.some((line) => line.startsWith(`${p.name}: no worker is consuming`)), `${p.name} has no worker: ${json.problems.join(' | ')}`);
  t.match(json.sources.find((s) => s.source === COMMAND_API_SOURCE)?.connector, { state: 'RUNNING' });
  t.equal(json.topics.length, AGGREGATE_TYPES.length, 'every source applied: one topic per aggregate type');
  for (const topic of json.topics) t.equal(topic.partitions.length, cfg.events.partitions, `${topic.topic}: every partition's end offset`);
});

t.test('workers running and caught up: healthy, every partition held, events/s while commands flow, freshness', async (t) => {
  const workers: ChildWorker[] = [];
  const byGeneration = new Map<number, string[]>();
  for (const [projection, generation] of liveOf) byGeneration.set(generation, [...(byGeneration.get(generation) ?? []), projection]);
  for (const [generation, projections] of byGeneration) workers.push(await h.spawnWorker({ generation, projections }));
  const metrics = workers.map((w) => `http://${cfg.stack.host}:${w.httpPort}/metrics`).join(',');

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  let loading = true;
  const flowing = load.run(1500, 4).finally(() => (loading = false));
  const seen: string[] = [];
  let moving = false;
  while (loading && !moving) {
    const { json } = await outflowStatus('--sample-ms', '1000', '--worker-metrics', '');
    seen.push(json.projections.map((p) => `${p.projection} ${p.eventsPerSecond}`).join(', '));
    moving = json.projections.some((p) => (p.eventsPerSecond ?? 0) > 0);
  }
  load.stop();
  await flowing;
  t.ok(moving, `events/s above 0 while commands flow (${seen.join(' | ')})`);

  const settled = await pollUntil('every projection caught up, with workers on every partition', async () => {
    const result = await outflowStatus('--max-lag', '0', '--sample-ms', '200', '--worker-metrics', metrics);
    return result.json.projections.every((p) => p.lag === 0 && p.workers.length > 0 && p.unassigned.length === 0) ? result : undefined;
  }, { timeoutMs: 240_000, intervalMs: 1000 });
  const { json, code } = settled;
  // What may remain are keys parked behind poison messages other files wrote into the shared topics.
  t.same(json.problems.filter((line) => !/ has \d+ parked key\(s\)/.test(line)), [], 'no problem but parked keys');
  for (const p of json.projections) {
    const line = json.problems.find((l) => l.startsWith(`${p.projection} has `));
    t.equal(line === undefined ? 0 : Number(/has (\d+) parked/.exec(line)?.[1]), p.parkedKeys, `${p.projection}: parked keys reported as counted (${p.parkedKeys})`);
  }
  t.equal(code, json.problems.length ? 1 : 0, 'the exit code follows the problems');
  t.equal(json.healthy, json.problems.length === 0);
  t.match(json.sources.find((s) => s.source === COMMAND_API_SOURCE)?.slot, { slotName: sourceConnector(cfg, COMMAND_API_SOURCE).config['slot.name'], active: true });
  for (const p of json.projections) {
    t.equal(p.lag, 0, `${p.projection} caught up`);
    t.equal(p.live, liveOf.get(p.projection));
    t.ok(p.workers.length >= 1, `${p.projection} has a worker`);
    const held = p.workers.flatMap((w) => w.partitions);
    const topics = new Set(p.partitions.map((l) => l.topic));
    t.equal(held.length, topics.size * cfg.events.partitions, `${p.projection}: every partition of ${[...topics].join(', ')} is held`);
    t.same(p.unassigned, []);
    // A replayed backlog older than the last bucket (300 s) puts a percentile beyond it: null.
    const { p50, p99, events } = p.freshness ?? { p50: null, p99: null, events: 0 };
    t.ok(events > 0 && (p99 === null || (p50 !== null && p50 <= p99)), `${p.projection}: freshness from the workers (${JSON.stringify(p.freshness)})`);
  }

  // A worker that leaves its group is named.
  const [first] = workers;
  const leftBehind = byGeneration.get([...byGeneration.keys()][0]!)!;
  await first!.kill('SIGTERM');
  const gone = await pollUntil('the stopped worker named', async () => {
    const result = await outflowStatus('--sample-ms', '100', '--worker-metrics', metrics);
    return leftBehind.every((name) => result.json.problems.some((line) => line.startsWith(`${name}: no worker is consuming`))) ? result : undefined;
  }, { timeoutMs: 60_000, intervalMs: 1000 });
  t.equal(gone.code, 1, `exit 1 once ${leftBehind.join(', ')} lost its worker`);
});

t.test('Kafka Connect down: named as unreachable, the rest still shown', async (t) => {
  await stack.down({ names: ['kafka-connect'] });
  const { code, json } = await outflowStatus('--sample-ms', '100', '--worker-metrics', '');
  t.equal(code, 1);
  t.ok(json.problems.some((line) => /^kafka-connect unreachable: /.test(line)), json.problems.join(' | '));
  t.same(json.sources.map((s) => s.connector), json.sources.map(() => null), 'no connector state is known');
  t.equal(json.topics.length, AGGREGATE_TYPES.length, 'topics are still shown');
  t.equal(json.projections.length, allProjections.length, 'projections are still shown');
  await stack.up(['kafka-connect']);
  await waitUntilRunning(new ConnectClient({ url: cfg.connect.url }), sourceConnector(cfg, COMMAND_API_SOURCE).name, { timeoutMs: 120_000 });
});
