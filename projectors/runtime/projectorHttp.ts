// GET /health, /health/ready, /health/live and /metrics of one projector worker, on plain
// node:http: four routes do not need a framework, and a probe must keep answering while the
// event loop is busy. /health/ready: every consumer running and caught up; /health/live: no
// consumer crashed or stuck (partitionProgress.ts); /health: no consumer crashed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type client from 'prom-client';
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

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** What /metrics needs: a registry, or anything that renders one when scraped. */
export type MetricsSource = Pick<client.Registry, 'metrics' | 'contentType'>;

export async function startHealthServer(options: { host: string; port: number; registry: MetricsSource; health: () => HealthReport; progress: () => ProgressReport }): Promise<HealthServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') return reply(response, 405, 'application/json', JSON.stringify({ error: 'GET only' }));
    if (path === '/health') {
      const report = options.health();
      return reply(response, report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report));
    }
    if (path === '/health/ready' || path === '/health/live') {
      const report = options.progress();
      const ok = path === '/health/ready' ? report.ready : report.live;
      return reply(response, ok ? 200 : 503, 'application/json', JSON.stringify(report));
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => reply(response, 200, options.registry.contentType, text),
        (error: unknown) => reply(response, 500, 'text/plain', String(error)),
      );
      return;
    }
    reply(response, 404, 'application/json', JSON.stringify({ error: `no route ${path}; try /health, /health/ready, /health/live or /metrics` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive; they must not hold up shutdown.
        server.closeAllConnections();
      }),
  };
}

function reply(response: http.ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType });
  response.end(body);
}
