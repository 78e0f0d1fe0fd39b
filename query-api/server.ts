// The query API: a fastify app that serves reads from the read stores only (Redis,
// Elasticsearch, the read-model Postgres as the query role) and never the write tables.
// It authenticates with the configured API keys alone: it holds no write-database
// credentials, so keys stored in write.api_keys are not accepted here.
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ApiKeyAuthenticator } from '../command-api/auth/apiKeyAuthenticator.ts';
import type { Config } from '../lib/config.ts';
import { errorReply } from '../lib/httpErrorReply.ts';
import { createLogger } from '../lib/logger.ts';
import { createMetricsRegistry, httpMetrics } from '../lib/metrics.ts';
import { catalogRoutes } from './http/catalogRoutes.ts';
import { healthRoute } from './http/healthRoute.ts';
import { orderRoutes } from './http/orderRoutes.ts';
import { bindReadModels, type ProjectionName, type ReadConnections } from './readModels.ts';

export interface QueryApiDeps extends ReadConnections {
  config: Config;
  /** Read these generations instead of the live ones (the pointer); tests read generations of their own. */
  readGeneration?: Partial<Record<ProjectionName, number>>;
}

const PUBLIC_ROUTES = new Set(['/health', '/metrics', '/docs/openapi.json']);

export async function buildQueryApi({ config, redis, elasticsearch, readPostgres, readGeneration }: QueryApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: createLogger('query-api', config.logLevel) as FastifyBaseLogger,
    disableRequestLogging: true,
    genReqId: () => crypto.randomUUID(),
    // Query strings and headers are text: coerce them to the schemas' integers and booleans.
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: true, useDefaults: true } },
  });
  const metrics = createMetricsRegistry('query-api');
  const { requests, duration } = httpMetrics(metrics, 'query_api');
  const authenticator = new ApiKeyAuthenticator(config.auth.apiKeys);
  const readModels = bindReadModels({ redis, elasticsearch, readPostgres }, readGeneration);

  await app.register(swagger, {
    openapi: {
      info: { title: 'outflow query API', version: '1', description: 'Reads from the projected read models; X-Min-Version reads your own writes.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An outflow API key' } } },
    },
  });
  app.setErrorHandler(errorReply);

  app.addHook('onRequest', async (request) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    request.principal = await authenticator.authenticate(request.headers.authorization);
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  orderRoutes(app, readModels, { minVersionTimeoutMs: config.queryApi.minVersionTimeoutMs });
  catalogRoutes(app, readModels);
  healthRoute(app, { redis, elasticsearch, readPostgres });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
