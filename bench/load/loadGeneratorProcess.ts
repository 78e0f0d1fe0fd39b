// Runs a load in a generator process of its own (loadGeneratorMain.ts) and reads its result back:
// the benchmark's own event loop and heap never shape a latency it reports, and the generator's
// CPU use comes with every result, so a generator that was the bottleneck is flagged instead of
// passing its own queueing off as the system's latency.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { LatencyHistogram } from './latencyHistogram.ts';
import type { EncodedLoadResult, FollowedCommand, GeneratorCpu, LoadSpec } from './loadSpec.ts';
import type { OpenLoopResult } from './openLoopLoad.ts';

export interface GeneratedLoad extends OpenLoopResult {
  /** Latencies per label, where the target has several kinds of operation. */
  labelled: Record<string, LatencyHistogram>;
  generatorCpu: GeneratorCpu;
}

export function runLoadGenerator(
  repoRoot: string,
  spec: LoadSpec,
  onProgress?: (done: number, total?: number) => void,
  onFollowed?: (followed: FollowedCommand) => void,
): Promise<GeneratedLoad> {
  const script = path.join(repoRoot, 'bench', 'load', 'loadGeneratorMain.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let result: EncodedLoadResult | undefined;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as { progress?: { done: number; total?: number }; followed?: FollowedCommand; result?: EncodedLoadResult };
      if (message.followed) onFollowed?.(message.followed);
      if (message.progress) onProgress?.(message.progress.done, message.progress.total);
      if (message.result) result = message.result;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (!result) return reject(new Error(`load generator (${spec.target.kind}) exited with ${code} without a result: ${stderr.trim()}`));
      resolve({
        ...result,
        histogram: LatencyHistogram.decode(result.histogram),
        labelled: Object.fromEntries(Object.entries(result.labelled).map(([label, encoded]) => [label, LatencyHistogram.decode(encoded)])),
      });
    });
  });
}
