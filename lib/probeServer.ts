// GET /health, /health/ready, /health/live and /metrics of a background process (a projector
// worker, the status exporter), on plain node:http: four routes do not need a framework, and a
// probe must keep answering while the event loop is busy. Each probe answers 200 or 503 with
// the JSON its owner reports.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type client from 'prom-client';

/** One probe's answer: 200 when ok, else 503, with `report` as the JSON body. */
export interface ProbeAnswer {
  ok: boolean;
  report: unknown;
}

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

/** What /metrics needs: a registry, or anything that renders one when scraped. */
export type MetricsSource = Pick<client.Registry, 'metrics' | 'contentType'>;

export interface ProbeServerOptions {
  host: string;
  port: number;
  registry: MetricsSource;
  health: () => ProbeAnswer;
  ready: () => ProbeAnswer;
  live: () => ProbeAnswer;
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const probes: Record<string, () => ProbeAnswer> = { '/health': options.health, '/health/ready': options.ready, '/health/live': options.live };
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET') return reply(response, 405, 'application/json', JSON.stringify({ error: 'GET only' }));
    const probe = Object.hasOwn(probes, path) ? probes[path] : undefined;
    if (probe) {
      const { ok, report } = probe();
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
