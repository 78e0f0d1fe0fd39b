// The command API: a fastify app that validates commands at the edge, authenticates
// API keys, and hands each command to the executor (one transaction per command).
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { createMetricsRegistry, httpMetrics } from '../lib/metrics.ts';
import { ApiKeyAuthenticator } from './auth/apiKeyAuthenticator.ts';
import { apiKeysTable } from './auth/apiKeysTable.ts';
import { CommandExecutor } from './commands/commandExecutor.ts';
import { catalogRoutes } from './http/catalogRoutes.ts';
import { errorReply } from '../lib/httpErrorReply.ts';
import { orderRoutes } from './http/orderRoutes.ts';
import type { EventEncoder } from './persistence/outboxWriter.ts';

export interface CommandApiDeps {
  config: Config;
  pool: pg.Pool;
  encoder: EventEncoder;
}

const PUBLIC_ROUTES = new Set(['/health', '/metrics', '/docs/openapi.json']);

export async function buildCommandApi({ config, pool, encoder }: CommandApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: createLogger('command-api', config.logLevel) as FastifyBaseLogger,
    disableRequestLogging: true,
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: true } },
  });
  const metrics = createMetricsRegistry('command-api');
  const { requests, duration } = httpMetrics(metrics, 'command_api');
  const authenticator = new ApiKeyAuthenticator(config.auth.apiKeys, apiKeysTable(pool));
  const executor = new CommandExecutor(pool, encoder);

  await app.register(swagger, {
    openapi: {
      info: { title: 'outflow command API', version: '1', description: 'Commands write the write model and the outbox in one transaction.' },
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

  catalogRoutes(app, executor);
  orderRoutes(app, executor);

  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await pool.query('SELECT 1');
      return { status: 'ok' };
    } catch (error) {
      return reply.status(503).send({ status: 'unavailable', reason: `write database: ${(error as Error).message}` });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
