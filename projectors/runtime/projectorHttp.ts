// What a projector worker's probes (lib/probeServer.ts) answer. /health/ready: every consumer
// running and caught up; /health/live: no consumer crashed or stuck (partitionProgress.ts);
// /health: no consumer crashed.
import { startProbeServer, type MetricsSource, type ProbeServer } from '../../lib/probeServer.ts';
import type { PartitionLag } from './partitionProgress.ts';

export interface HealthReport {
  status: 'ok' | 'crashed';
  projections: Record<string, { state: string; generation: number; groupId: string; assignment: Record<string, number[]> }>;
}

/** What /health/ready and /health/live answer: the verdict and, per projection, the partitions behind it. */
export interface ProgressReport {
  ready: boolean;
  live: boolean;
  projections: Record<string, { state: string; ready: boolean; live: boolean; behind: PartitionLag[]; stalled: PartitionLag[] }>;
}

export type HealthServer = ProbeServer;

/** The worker's probes: /health fails when a consumer crashed, /health/ready and /health/live by the progress verdicts. */
export function startHealthServer(options: { host: string; port: number; registry: MetricsSource; health: () => HealthReport; progress: () => ProgressReport }): Promise<HealthServer> {
  const { host, port, registry, health, progress } = options;
  return startProbeServer({
    host,
    port,
    registry,
    health: () => {
      const report = health();
      return { ok: report.status === 'ok', report };
    },
    ready: () => {
      const report = progress();
      return { ok: report.ready, report };
    },
    live: () => {
      const report = progress();
      return { ok: report.live, report };
    },
  });
}
