// Benchmark workers as child processes (benchWorkerProcess.ts), and the watch on a generation's
// checkpoints that tells how far they are: the store's own record of what it applied.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { captureEndOffsets, replayProgress, type PartitionRange } from '../../projectors/generations/rebuildProgress.ts';
import type { ProjectionDefinition, ProjectionStore } from '../../projectors/projection.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { openStoreConnections, type OpenStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import type { HealthReport } from '../../projectors/runtime/projectorHttp.ts';
import type { BenchContext } from '../benchContext.ts';
import { processMemoryMiB } from '../load/processMemory.ts';
import { PROJECTOR_NODE_OPTIONS } from '../../infra/local/serviceComponents.ts';

export interface BenchWorker {
  pid: number;
  httpPort: number;
  health(): Promise<HealthReport>;
  /** The worker's Prometheus metrics, as text. */
  metrics(): Promise<string>;
  peakRssMiB(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function spawnBenchWorker(context: BenchContext, options: { projection: string; label?: string; generation: number }): Promise<BenchWorker> {
  const history = await context.history();
  const script = path.join(context.config.repoRoot, 'bench', 'history', 'benchWorkerProcess.ts');
  const child: ChildProcess = spawn(
    process.execPath,
    [...PROJECTOR_NODE_OPTIONS, '--import', 'tsx', script, options.projection, context.runId, options.label ?? '', String(options.generation), JSON.stringify(history.topics), '0'],
    { cwd: context.config.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The worker listens on a free port of its own choosing and names it when it is ready.
  const httpPort = await new Promise<number>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const ready = /^ready (\d+)$/.exec(line);
      if (ready) resolve(Number(ready[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench worker for ${options.projection} exited with ${code} before it was ready: ${stderr}`)));
  });
  const pid = child.pid!;
  const base = `http://${context.config.stack.host}:${httpPort}`;
  context.onClose(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    pid,
    httpPort,
    async health() {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) });
      return (await response.json()) as HealthReport;
    },
    async metrics() {
      return (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    },
    peakRssMiB: async () => (await processMemoryMiB(pid))?.peak,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** A generation's store, opened from the bench process to read its checkpoints. */
export interface GenerationWatch {
  store: ProjectionStore;
  ranges: PartitionRange[];
  total: number;
  done(): Promise<number>;
  /** Resolves when every partition's checkpoint reached the end captured at the start. */
  untilComplete(options: { onProgress?: (done: number, total: number) => void; timeoutMs: number; pollMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export async function watchGeneration(context: BenchContext, definition: ProjectionDefinition, generation: number): Promise<GenerationWatch> {
  const stores: OpenStoreConnections = openStoreConnections({ ...context.config, logLevel: 'warn' });
  const store = definition.createStore(stores.connections, generation);
  await store.init();
  const ranges = await captureEndOffsets(context.connections.admin, topicsOf(definition));
  const total = ranges.reduce((sum, r) => sum + Number(r.high - r.low), 0);
  const done = async () => (await replayProgress(store, ranges)).done;
  return {
    store,
    ranges,
    total,
    done,
    async untilComplete({ onProgress, timeoutMs, pollMs = 200 }) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const current = await done();
        onProgress?.(current, total);
        if (current >= total) return;
        if (performance.now() > deadline) throw new Error(`${definition.name} g${generation}: ${current} of ${total} events applied after ${timeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    async close() {
      await store.close().catch(() => undefined);
      await stores.close();
    },
  };
}
