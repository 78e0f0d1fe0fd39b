// What both HTTP APIs share: a fastify instance with JSON logs, request ids, one error
// mapping, API-key authentication on every route but the public ones, request metrics,
// and the /metrics and /docs/openapi.json routes. Each API adds its own routes and its
// health routes (lib/healthRoutes.ts). Every 503 carries Retry-After.
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { requestAuthentication } from './auth/requestAuthentication.ts';
import type { StoredApiKeys } from './auth/storedApiKeys.ts';
import type { Config } from './config.ts';
import { HEALTH_ROUTES } from './healthRoutes.ts';
import { NotFound } from './errors.ts';
import { errorReply } from './httpErrorReply.ts';
import { createLogger } from './logger.ts';
import { createMetricsRegistry, httpMetrics } from './metrics.ts';
import { traceRequests } from './requestTracing.ts';

const PUBLIC_ROUTES = new Set([...HEALTH_ROUTES, '/metrics', '/docs/openapi.json']);

export interface HttpApiOptions {
  /** Component name in logs and metrics labels, e.g. 'command-api'. */
  component: string;
  title: string;
  description: string;
  config: Config;
  /** The address the API listens on: which configured keys it accepts depends on it (lib/auth/localKeys.ts). */
  host: string;
  storedKeys: StoredApiKeys;
  /** Query strings are text: the query API coerces them to its schemas' types; bodies are not coerced. */
  coerceTypes: boolean;
  bodyLimit?: number;
}

export async function createHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { component, config } = options;
  const app = Fastify({
    loggerInstance: createLogger(component, config.logLevel) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    // A URL the router cannot even read (bad percent-encoding, an over-long parameter) gets
    // the same JSON error shape as every other 4xx.
    frameworkErrors: errorReply,
    requestTimeout: config.timeouts.http.requestMs,
    connectionTimeout: config.timeouts.http.connectionMs,
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
  app.setNotFoundHandler(async (request) => {
    throw new NotFound('route', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`);
  });

  traceRequests(app, component);
  const authenticate = await requestAuthentication(app, { service: component, host: options.host, auth: config.auth, storedKeys: options.storedKeys });
  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    request.principal = await authenticate(request, reply);
  });
  // A 503 is an outage of something the API needs, or a readiness probe failing: either way
  // the client may retry the same request, and is told when.
  const retryAfter = String(config.timeouts.http.retryAfterS);
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', retryAfter);
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
