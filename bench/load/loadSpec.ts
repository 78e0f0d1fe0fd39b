// What a load generator process is asked to do, and what it answers: plain JSON both ways, so
// the generator runs in a process of its own and never shares an event loop (or a heap) with
// what it measures, nor with the benchmark that collects the results.
import type { OpenLoopResult } from './openLoopLoad.ts';

/** The operation a load generator repeats; every target reaches the stack through the generator's own connections. */
export type LoadTarget =
  /** GET through the query API: order lookups, with a search every `searchEvery`-th read (labels `lookup` and `search`). */
  | { kind: 'query-api'; lookupPaths: string[]; searchPath?: string; searchEvery?: number }
  /** GET of the given paths from a bare node:http server on this port (references/bareHttpServer.ts): the floor of any Node HTTP service. */
  | { kind: 'bare-http'; port: number; paths: string[] }
  /** HGETALL of the given hashes straight from Redis with ioredis (the reference for lookups). */
  | { kind: 'redis-hgetall'; keys: string[] }
  /** The same search request straight to Elasticsearch (the reference for search). */
  | { kind: 'elasticsearch-search'; request: Record<string, unknown> }
  /**
   * The benchmark's command mix through the command API; its products were created by the scenario
   * under the same run id. With `follow`, a sample of the accepted commands is reported as it is
   * answered (a FollowedCommand line), for the freshness scenario to look for in the read models.
   */
  | { kind: 'commands'; runId: string; offset: number; follow?: FollowSample }
  /** The raw-pg reference writes of the command mix into the schema the scenario set up under the same run id. */
  | { kind: 'raw-pg'; runId: string; offset: number; poolSize: number };

/** Which accepted commands to report: every `every`-th from `fromIndex` on, plus a few re-pricings per `every * 3`. */
export interface FollowSample {
  every: number;
  fromIndex: number;
}

/** An accepted command to follow into the read models; `answeredAt` in ms since the epoch (sub-ms). */
export type FollowedCommand =
  | { kind: 'place'; orderId: string; customerId: string; version: number; answeredAt: number }
  | { kind: 'reprice'; sku: string; version: number; answeredAt: number };

export type LoadShape =
  /** Operation i is due at start + i / rate; latency counts from the due time. */
  | { mode: 'open'; rate: number; durationSeconds: number; warmupSeconds: number; maxInFlight: number }
  /** `concurrency` loops each send the next operation when the last one answered: the highest rate it can carry. */
  | { mode: 'closed'; concurrency: number; durationSeconds: number; warmupSeconds: number };

export interface LoadSpec {
  target: LoadTarget;
  shape: LoadShape;
  /** HTTP sockets or pool connections the generator opens. */
  connections: number;
}

/** The CPU the generator itself used over the run: near one core means it, not the system, was the limit. */
export interface GeneratorCpu {
  /** User + system CPU time over wall time; 1.0 is one core fully busy. */
  coreShare: number;
  cpuMs: number;
  wallMs: number;
}

export interface EncodedLoadResult extends Omit<OpenLoopResult, 'histogram'> {
  /** The whole run's latencies, HdrHistogram compressed base64. */
  histogram: string;
  /** Per label (e.g. `lookup`, `search`) where the target has several kinds of operation. */
  labelled: Record<string, string>;
  generatorCpu: GeneratorCpu;
}

/** Above this share of one core the generator is flagged: its own event loop shapes the latencies. */
export const GENERATOR_SATURATED = 0.85;
