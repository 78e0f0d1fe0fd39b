// The command API: a fastify app that validates commands at the edge, authenticates
// API keys, and hands each command to the executor (one transaction per command).
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { createHttpApi } from '../lib/httpApi.ts';
import { ApiKeyAuthenticator } from './auth/apiKeyAuthenticator.ts';
import { apiKeysTable } from './auth/apiKeysTable.ts';
import { CommandExecutor } from './commands/commandExecutor.ts';
import { catalogRoutes } from './http/catalogRoutes.ts';
import { orderRoutes } from './http/orderRoutes.ts';
import type { EventEncoder } from './persistence/outboxWriter.ts';

export interface CommandApiDeps {
  config: Config;
  pool: pg.Pool;
  encoder: EventEncoder;
}

export async function buildCommandApi({ config, pool, encoder }: CommandApiDeps): Promise<FastifyInstance> {
  const app = await createHttpApi({
    component: 'command-api',
    title: 'outflow command API',
    description: 'Commands write the write model and the outbox in one transaction.',
    config,
    authenticator: new ApiKeyAuthenticator(config.auth.apiKeys, apiKeysTable(pool)),
    coerceTypes: false,
    bodyLimit: 256 * 1024,
  });
  const executor = new CommandExecutor(pool, encoder);

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
  return app;
}
