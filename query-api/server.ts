// The query API: a fastify app that serves reads from the read stores only (Redis,
// Elasticsearch, the read-model Postgres as the query role) and never the write tables.
// Stored API keys live on the read-model server too (auth.api_keys), so the query API accepts
// them without any credentials for the write database.
import type { FastifyInstance } from 'fastify';
import { storedApiKeys } from '../lib/auth/storedApiKeys.ts';
import type { Config } from '../lib/config.ts';
import { createHttpApi } from '../lib/httpApi.ts';
import { catalogRoutes } from './http/catalogRoutes.ts';
import { healthRoute } from './http/healthRoute.ts';
import { orderRoutes } from './http/orderRoutes.ts';
import { bindReadModels, type ProjectionName, type ReadConnections } from './readModels.ts';

export interface QueryApiDeps extends ReadConnections {
  config: Config;
  /** Read these generations instead of the live ones (the pointer); tests read generations of their own. */
  readGeneration?: Partial<Record<ProjectionName, number>>;
}

export async function buildQueryApi({ config, redis, elasticsearch, readPostgres, readGeneration }: QueryApiDeps): Promise<FastifyInstance> {
  const app = await createHttpApi({
    component: 'query-api',
    title: 'outflow query API',
    description: 'Reads from the projected read models; X-Min-Version reads your own writes.',
    config,
    host: config.queryApi.host,
    storedKeys: storedApiKeys(readPostgres),
    coerceTypes: true,
  });
  const readModels = bindReadModels({ redis, elasticsearch, readPostgres }, readGeneration);

  orderRoutes(app, readModels, { minVersionTimeoutMs: config.queryApi.minVersionTimeoutMs, readGraceMs: config.timeouts.redisCommandMs });
  catalogRoutes(app, readModels);
  healthRoute(app, { redis, elasticsearch, readPostgres }, { probeTimeoutMs: config.timeouts.http.healthProbeMs });
  return app;
}
