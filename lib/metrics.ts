// One prom-client registry per process, with the runtime's default metrics, and the
// HTTP request metrics both APIs expose. Names follow outflow_<area>_<thing>_<unit>.
import client from 'prom-client';

export function createMetricsRegistry(component: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ component });
  client.collectDefaultMetrics({ register: registry, prefix: 'outflow_process_' });
  return registry;
}

export function httpMetrics(registry: client.Registry, area: string) {
  return {
    requests: new client.Counter({
      name: `outflow_${area}_requests_total`,
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: `outflow_${area}_request_duration_seconds`,
      help: 'HTTP request latency by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
