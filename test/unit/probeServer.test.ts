// The probe endpoints every background process serves (lib/probeServer.ts), as a projector
// worker answers them (projectors/runtime/projectorHttp.ts). On 127.0.0.1, any free port.
import t from 'tap';
import { startProbeServer } from '../../lib/probeServer.ts';
import { startHealthServer, type HealthReport, type ProgressReport } from '../../projectors/runtime/projectorHttp.ts';

const registry = { contentType: 'text/plain; version=0.0.4; charset=utf-8' as const, metrics: async () => 'outflow_up 1\n' };

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

t.test('each probe answers 200 or 503 with its report; /metrics renders the registry; anything else is refused', async (t) => {
  let ok = true;
  const server = await startProbeServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    health: () => ({ ok, report: { probe: 'health' } }),
    ready: () => ({ ok: false, report: { probe: 'ready' } }),
    live: () => ({ ok: true, report: { probe: 'live' } }),
  });
  t.teardown(() => server.close());
  t.same(await get(server.port, '/health'), { status: 200, type: 'application/json', body: '{"probe":"health"}' });
  ok = false;
  t.equal((await get(server.port, '/health?verbose=1')).status, 503, 'asked afresh on every request; the query is ignored');
  t.same(await get(server.port, '/health/ready'), { status: 503, type: 'application/json', body: '{"probe":"ready"}' });
  t.same(await get(server.port, '/health/live'), { status: 200, type: 'application/json', body: '{"probe":"live"}' });
  t.same(await get(server.port, '/metrics'), { status: 200, type: registry.contentType, body: 'outflow_up 1\n' });
  t.equal((await get(server.port, '/healthz')).status, 404);
  t.equal((await get(server.port, '/health', 'POST')).status, 405);
});

t.test('a projector worker: /health by its consumers, /health/ready and /health/live by its progress verdicts', async (t) => {
  const health: HealthReport = { status: 'crashed', projections: {} };
  const progress: ProgressReport = { ready: true, live: false, projections: {} };
  const server = await startHealthServer({ host: '127.0.0.1', port: 0, registry, health: () => health, progress: () => progress });
  t.teardown(() => server.close());
  t.same(await get(server.port, '/health'), { status: 503, type: 'application/json', body: JSON.stringify(health) });
  t.same(await get(server.port, '/health/ready'), { status: 200, type: 'application/json', body: JSON.stringify(progress) });
  t.same(await get(server.port, '/health/live'), { status: 503, type: 'application/json', body: JSON.stringify(progress) });
});
