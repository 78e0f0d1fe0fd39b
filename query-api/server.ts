// The query API: a fastify app that serves reads from the read stores only (Redis,
// Elasticsearch, the read-model Postgres as the query role) and never the write tables.
// It authenticates with the configured API keys alone: it holds no write-database
// credentials, so keys stored in write.api_keys are not accepted here.
import type { FastifyInstance } from 'fastify';
import { ApiKeyAuthenticator } from '../command-api/auth/apiKeyAuthenticator.ts';
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
    authenticator: new ApiKeyAuthenticator(config.auth.apiKeys),
    coerceTypes: true,
  });
  const readModels = bindReadModels({ redis, elasticsearch, readPostgres }, readGeneration);

  orderRoutes(app, readModels, { minVersionTimeoutMs: config.queryApi.minVersionTimeoutMs });
  catalogRoutes(app, readModels);
  healthRoute(app, { redis, elasticsearch, readPostgres });
  return app;
}
