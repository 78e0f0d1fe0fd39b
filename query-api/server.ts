// The query API: a fastify app that serves reads from the read stores only (Redis,
// Elasticsearch, the read-model Postgres as the query role) and never the write tables.
// Stored API keys live on the read-model server too (auth.api_keys), so the query API accepts
// them without any credentials for the write database. Each read answer says how fresh its read
// model is (readModelFreshness.ts).
import type { FastifyInstance } from 'fastify';
import { storedApiKeys } from '../lib/auth/storedApiKeys.ts';
import type { Config } from '../lib/config.ts';
import { createHttpApi } from '../lib/httpApi.ts';
import { createLogger } from '../lib/logger.ts';
import type { ReadConnections } from './http/readConnections.ts';
import { readModels } from '../read-models/registry.ts';
import { healthRoute } from './http/healthRoute.ts';
import { FRESHNESS_HEADER, ReadModelFreshness, storeFreshnessSource } from './readModelFreshness.ts';
import { duplicateRedis } from '../lib/redisConnection.ts';

export interface QueryApiDeps extends ReadConnections {
  config: Config;
  /** Read these generations instead of the live ones (the pointer); tests read generations of their own. */
  readGeneration?: Readonly<Record<string, number>>;
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
  // The background reads get a Redis connection of their own, so they never queue between a
  // request's commands on the requests' connection.
  const freshnessRedis = config.queryApi.freshnessRefreshMs > 0 ? duplicateRedis(redis, 'outflow-query-api-freshness') : redis;
  const freshness = new ReadModelFreshness(
    readModels.map(({ projection }) =>
      storeFreshnessSource(projection, { config, redis: freshnessRedis, elasticsearch, readPostgres }, readGeneration?.[projection.name]),
    ),
    config.queryApi.freshnessRefreshMs,
    createLogger('query-api', config.logLevel),
  );
  freshness.start();
  app.addHook('onClose', async () => {
    freshness.stop();
    if (freshnessRedis !== redis) freshnessRedis.disconnect();
  });
  // On every answer of a read route, errors included: a 409 for a version not reached yet is where it matters most.
  app.addHook('onSend', (request, reply, payload, done) => {
    const readModel = request.routeOptions.config.readModel;
    const value = readModel && freshness.header(readModel);
    if (value) reply.header(FRESHNESS_HEADER, value);
    done(null, payload);
  });

  for (const readModel of readModels) {
    readModel.queryRoutes(app, {
      connections: { redis, elasticsearch, readPostgres },
      generation: readGeneration?.[readModel.projection.name],
      minVersionTimeoutMs: config.queryApi.minVersionTimeoutMs,
      readGraceMs: config.timeouts.redisCommandMs,
    });
  }
  healthRoute(app, { redis, elasticsearch, readPostgres }, { probeTimeoutMs: config.timeouts.http.healthProbeMs });
  return app;
}
