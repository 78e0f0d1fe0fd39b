// What both HTTP APIs share: a fastify instance with JSON logs, request ids, one error
// mapping, API-key authentication on every route but the public ones, request metrics,
// and the /metrics and /docs/openapi.json routes. Each API adds its own routes and /health.
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiKeyAuthenticator } from '../command-api/auth/apiKeyAuthenticator.ts';
import type { Config } from './config.ts';
import { errorReply } from './httpErrorReply.ts';
import { createLogger } from './logger.ts';
import { createMetricsRegistry, httpMetrics } from './metrics.ts';

const PUBLIC_ROUTES = new Set(['/health', '/metrics', '/docs/openapi.json']);

export interface HttpApiOptions {
  /** Component name in logs and metrics labels, e.g. 'command-api'. */
  component: string;
  title: string;
  description: string;
  config: Config;
  authenticator: ApiKeyAuthenticator;
  /** Query strings are text: the query API coerces them to its schemas' types; bodies are not coerced. */
  coerceTypes: boolean;
  bodyLimit?: number;
}

export async function createHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { component, config, authenticator } = options;
  const app = Fastify({
    loggerInstance: createLogger(component, config.logLevel) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: options.coerceTypes, useDefaults: true } },
  });
  const metrics = createMetricsRegistry(component);
  const { requests, duration } = httpMetrics(metrics, component.replaceAll('-', '_'));

  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: '1', description: options.description },
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

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
