// The whole pipeline for end-to-end and chaos tests: the full local stack, the write schema,
// schemas, topics and the Debezium connector, a command API (in-process, real transactions),
// and projector workers either in-process or as real child processes (`outflow projector run`)
// that a test can kill -9. Tests build a fresh generation of the read models of their own,
// compare it with the write model through `verify`, and drop it at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import type { Test } from 'tap';
import { applyAllSources } from '../../connectors/applyConnector.ts';
import { config, loadConfig, type Config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { ProjectionDefinition } from '../../projectors/projection.ts';
import { ensureGenerationRegistry, ensureLiveGeneration } from '../../projectors/generations/generationRegistry.ts';
import { fingerprintOf } from '../../projectors/generations/projectionFingerprint.ts';
import { registryLiveGenerations } from '../../projectors/generations/registryLiveGenerations.ts';
import { allProjections } from '../../read-models/registry.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';
import type { HealthReport } from '../../projectors/runtime/projectorHttp.ts';
import { verifyPipeline, type VerifyReport } from '../../projectors/verification/verifyPipeline.ts';
import { commandApiHarness, type Harness } from './commandApiHarness.ts';
import type { SendCommand } from './randomCommands.ts';
import { ensureStack, uniqueName } from './stack.ts';

export interface ChildWorker {
  pid: number;
  httpPort: number;
  health(): Promise<HealthReport>;
  /** Sends the signal and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** What the worker logged so far (JSON lines), and its stderr. */
  output(): readonly string[];
}

export interface PipelineHarness {
  commands: Harness;
  /** The admin's command sender for RandomCommands. */
  send: SendCommand;
  runId: string;
  /** A fresh physical generation number no other test uses; dropped at teardown. */
  newGeneration(): number;
  /** A worker of `generation`, or one that follows the live generation when it is 'live'. */
  startWorker(options: { generation: number | 'live'; projections?: readonly ProjectionDefinition[] }): Promise<ProjectorWorker>;
  spawnWorker(options: { generation: number; projections?: readonly string[] }): Promise<ChildWorker>;
  /** verify against the given generation of every (or the given) projection. */
  verify(generation: number, projections?: readonly string[]): Promise<VerifyReport>;
}

const repoRoot = config().repoRoot;

/** Drops a generation of every projection: data, checkpoints, parked keys. */
async function dropGeneration(base: Config, generation: number): Promise<void> {
  const stores = openStoreConnections({ ...base, logLevel: 'silent' });
  try {
    for (const projection of allProjections) await projection.createStore(stores.connections, generation).truncate();
    await stores.connections.readPostgres.query('DELETE FROM projector_parked_keys WHERE generation = $1', [generation]);
  } finally {
    await stores.close();
  }
}

/**
 * Every projection has a live generation, recorded in the registry as a worker that follows it
 * would record it, and its pointers set: a test's own generation (whose stores also initialise)
 * can then never become the pointer by accident.
 */
async function ensureLivePointers(base: Config): Promise<void> {
  const stores = openStoreConnections({ ...base, logLevel: 'silent' });
  try {
    await ensureGenerationRegistry(stores.connections.readPostgres);
    for (const projection of allProjections) {
      const pointer = await projection.liveGeneration(stores.connections);
      const { generation } = await ensureLiveGeneration(stores.connections.readPostgres, projection.name, pointer, fingerprintOf(projection));
      await projection.createStore(stores.connections, generation).init();
    }
  } finally {
    await stores.close();
  }
}

export interface PipelineHarnessOptions {
  /**
   * The read models' Redis for this harness's workers, verify and clean-up, whatever the suite
   * runs on: a test of the cluster layout (a failover) runs on it in both of the suite's passes.
   */
  redisLayout?: Config['redis']['layout'];
}

export async function pipelineHarness(t: Test, options: PipelineHarnessOptions = {}): Promise<PipelineHarness> {
  await ensureStack();
  const layoutEnv = options.redisLayout ? { OUTFLOW_REDIS_LAYOUT: options.redisLayout } : {};
  const base = options.redisLayout ? loadConfig({ ...process.env, ...layoutEnv }) : config();
  if (options.redisLayout === 'cluster') await ensureStack('redis-cluster');
  const commands = await commandApiHarness();
  await applyAllSources(base);
  await ensureLivePointers(base);
  const generations: number[] = [];
  const workers: ProjectorWorker[] = [];
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const worker of workers) await worker.stop();
    for (const generation of generations) await dropGeneration(base, generation);
    await commands.close();
  });

  return {
    commands,
    runId: uniqueName('run'),
    send: async (method, url, body, headers = {}) => {
      const reply = await commands.send(method, url, { body, headers });
      return { status: reply.statusCode, body: reply.json() };
    },
    newGeneration() {
      const generation = crypto.randomInt(1_000_000, 2 ** 31);
      generations.push(generation);
      return generation;
    },
    async startWorker({ generation, projections = allProjections }) {
      const worker = await ProjectorWorker.start({
        config: { ...base, logLevel: 'silent' },
        projections,
        ...(generation === 'live' ? { liveGenerations: registryLiveGenerations } : { generation }),
        httpPort: null,
        log: createLogger('projector-test', 'silent'),
      });
      workers.push(worker);
      return worker;
    },
    async spawnWorker({ generation, projections }) {
      const args = [path.join(repoRoot, 'bin', 'outflow.js'), 'projector', 'run', '--generation', String(generation), '--http-port', '0'];
      if (projections) args.push('--projections', projections.join(','));
      const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...layoutEnv, OUTFLOW_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const lines = readline.createInterface({ input: child.stdout! });
      const output: string[] = [];
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const httpPort = await new Promise<number>((resolve, reject) => {
        lines.on('line', (line) => {
          output.push(line);
          const port = /"msg":"projector worker running"/.test(line) ? (JSON.parse(line) as { httpPort?: number }).httpPort : undefined;
          if (port) resolve(port);
        });
        void exited.then(() => reject(new Error(`projector worker exited before it ran:\n${output.slice(-20).join('\n')}`)));
      });
      // Keep draining stdout so the child never blocks on a full pipe.
      lines.on('line', () => {});
      return {
        pid: child.pid!,
        httpPort,
        output: () => output,
        health: async () => (await (await fetch(`http://${base.stack.host}:${httpPort}/health`)).json()) as HealthReport,
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      };
    },
    verify: (generation, projections) =>
      verifyPipeline({ ...base, logLevel: 'silent' }, {
        projections,
        generations: Object.fromEntries(allProjections.map((p) => [p.name, generation])),
        rounds: 1,
        timeoutMs: 180_000,
      }),
  };
}

/** Waits until a worker's assignment for `projection` covers `count` partitions of `topic`. */
export function waitForAssignment(worker: ChildWorker, projection: string, topic: string, count: (n: number) => boolean): Promise<number[]> {
  return pollUntil(`${projection} assignment on ${topic}`, async () => {
    const partitions = (await worker.health()).projections[projection]?.assignment[topic] ?? [];
    return count(partitions.length) ? partitions : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
}
