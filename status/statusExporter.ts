// `outflow status --serve <port>`: the pipeline status as Prometheus metrics (statusMetrics.ts),
// gathered afresh on each scrape. Scrapes that arrive while one is being gathered share it, so a
// dashboard refreshing often costs one round of questions to the parts, not one per scrape.
import type { Config } from '../lib/config.ts';
import { startHealthServer, type HealthServer } from '../projectors/runtime/projectorHttp.ts';
import { pipelineStatus } from './pipelineStatus.ts';
import { statusMetricsRegistry } from './statusMetrics.ts';

export async function startStatusExporter(config: Config, { port, host = config.stack.host }: { port: number; host?: string }): Promise<HealthServer> {
  const { registry, record } = statusMetricsRegistry();
  let gathering: Promise<string> | undefined;
  const render = async () => {
    // events/s and freshness come from the workers' own metrics: no sampling window here.
    record(await pipelineStatus(config, { sampleMs: 0 }));
    return registry.metrics();
  };
  return startHealthServer({
    host,
    port,
    registry: {
      contentType: registry.contentType,
      metrics: () => (gathering ??= render().finally(() => (gathering = undefined))),
    },
    health: () => ({ status: 'ok', projections: {} }),
    // The exporter consumes nothing: it is ready and live while it answers.
    progress: () => ({ ready: true, live: true, projections: {} }),
  });
}
