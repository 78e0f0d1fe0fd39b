// `outflow status --serve <port>`: the pipeline status as Prometheus metrics (statusMetrics.ts),
// gathered afresh on each scrape. Scrapes that arrive while one is being gathered share it, so a
// dashboard refreshing often costs one round of questions to the parts, not one per scrape.
import type { Config } from '../lib/config.ts';
import { startProbeServer, type ProbeServer } from '../lib/probeServer.ts';
import { pipelineStatus } from './pipelineStatus.ts';
import { statusMetricsRegistry } from './statusMetrics.ts';

export async function startStatusExporter(config: Config, { port, host = config.stack.host }: { port: number; host?: string }): Promise<ProbeServer> {
  const { registry, record } = statusMetricsRegistry();
  let gathering: Promise<string> | undefined;
  const render = async () => {
    // events/s and freshness come from the workers' own metrics: no sampling window here.
    record(await pipelineStatus(config, { sampleMs: 0 }));
    return registry.metrics();
  };
  return startProbeServer({
    host,
    port,
    registry: {
      contentType: registry.contentType,
      metrics: () => (gathering ??= render().finally(() => (gathering = undefined))),
    },
    // The exporter consumes nothing: it is healthy, ready and live while it answers. The reports
    // have the shape of a projector worker's, so one probe reader serves both.
    health: () => ({ ok: true, report: { status: 'ok', projections: {} } }),
    ready: () => ({ ok: true, report: { ready: true, live: true, projections: {} } }),
    live: () => ({ ok: true, report: { ready: true, live: true, projections: {} } }),
  });
}
