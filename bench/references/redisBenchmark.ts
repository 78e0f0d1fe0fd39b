// `redis-benchmark` GET against the stack's Redis: the server's own floor, closed loop (it has no
// rate limit), reported beside the open-loop figures. Absent binary → undefined, and the report
// says so.
import { spawn } from 'node:child_process';

export interface RedisBenchmarkFigures {
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  clients: number;
  requests: number;
}

/** `cluster`: the server is a node of a Redis Cluster, and redis-benchmark spreads its keys over the primaries. */
export async function runRedisBenchmarkGet(options: { host: string; port: number; cluster?: boolean; requests: number; clients: number }): Promise<RedisBenchmarkFigures | undefined> {
  const output = await new Promise<string | undefined>((resolve) => {
    const args = ['-h', options.host, '-p', String(options.port), ...(options.cluster ? ['--cluster'] : []), '-t', 'get', '-n', String(options.requests), '-c', String(options.clients), '--csv'];
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? text : undefined));
  });
  if (!output) return undefined;
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = output.split('\n').find((l) => l.startsWith('"GET"'));
  const fields = line?.split(',').map((f) => Number(f.replace(/"/g, '')));
  if (!fields || fields.length < 8) return undefined;
  return { requestsPerSecond: fields[1]!, p50: fields[4]!, p95: fields[5]!, p99: fields[6]!, max: fields[7]!, clients: options.clients, requests: options.requests };
}
