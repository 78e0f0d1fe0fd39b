// GET /health: one real round trip to each read store, in parallel and bounded, so a
// load balancer sees 503 (naming the store) as soon as any of them cannot serve reads.
import type { FastifyInstance } from 'fastify';
import type { ReadConnections } from '../readModels.ts';

const PROBE_TIMEOUT_MS = 2_000;

async function probe(name: string, check: () => Promise<unknown>): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return [name, 'ok'];
  } catch (error) {
    return [name, error instanceof Error ? error.message : String(error)];
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoute(app: FastifyInstance, { redis, elasticsearch, readPostgres }: ReadConnections): void {
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const stores = Object.fromEntries(await Promise.all([
      probe('redis', () => redis.ping()),
      probe('elasticsearch', () => elasticsearch.cluster.health({ timeout: '1s' })),
      probe('readPostgres', () => readPostgres.query('SELECT 1')),
    ]));
    const healthy = Object.values(stores).every((state) => state === 'ok');
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', stores });
  });
}
