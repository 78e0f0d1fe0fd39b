// The health endpoints both APIs share, public (no API key):
//   GET /health/live   the process is up and serving; no dependency is asked, so a store's
//                      outage never gets a healthy process restarted.
//   GET /health/ready  one real round trip to each dependency, in parallel and bounded: 200
//                      when all answer, 503 naming the ones that do not (take it out of the
//                      load balancer). /health is the same, for the scripts that know only it.
// A dependency's state is `ok` or `unavailable`; why goes to the server log, never to an
// anonymous caller (driver messages name hosts, users and databases).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';

export type DependencyProbes = Readonly<Record<string, () => Promise<unknown>>>;

export type DependencyState = 'ok' | 'unavailable';

export interface ReadinessReport {
  status: DependencyState;
  dependencies: Record<string, DependencyState>;
}

export const HEALTH_ROUTES = ['/health', '/health/live', '/health/ready'] as const;

async function probe(request: FastifyRequest, name: string, check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyState> {
  const unanswered = new AbortController();
  const late = sleep(timeoutMs, undefined, { signal: unanswered.signal }).then(() => {
    throw new Error(`no answer within ${timeoutMs} ms`);
  });
  try {
    await Promise.race([check(), late]);
    return 'ok';
  } catch (error) {
    request.log.warn({ err: error, dependency: name }, 'readiness probe failed');
    return 'unavailable';
  } finally {
    unanswered.abort();
    late.catch(() => {});
  }
}

export function healthRoutes(app: FastifyInstance, probes: DependencyProbes, { probeTimeoutMs }: { probeTimeoutMs: number }): void {
  const ready = async (request: FastifyRequest, reply: FastifyReply) => {
    const states = await Promise.all(Object.entries(probes).map(async ([name, check]) => [name, await probe(request, name, check, probeTimeoutMs)] as const));
    const healthy = states.every(([, state]) => state === 'ok');
    const report: ReadinessReport = { status: healthy ? 'ok' : 'unavailable', dependencies: Object.fromEntries(states) };
    return reply.status(healthy ? 200 : 503).send(report);
  };
  app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { schema: { hide: true } }, ready);
  app.get('/health', { schema: { hide: true } }, ready);
}
