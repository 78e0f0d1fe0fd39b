// The command API: a fastify app that validates commands at the edge, authenticates
// API keys, and hands each command to the executor (one transaction per command).
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { healthRoutes } from '../lib/healthRoutes.ts';
import { createHttpApi } from '../lib/httpApi.ts';
import { storedApiKeys, storedKeysPool } from '../lib/auth/storedApiKeys.ts';
import { Forbidden } from '../lib/errors.ts';
import { CommandExecutor } from './commands/commandExecutor.ts';
import { catalogRoutes } from './http/catalogRoutes.ts';
import { orderRoutes } from './http/orderRoutes.ts';
import type { EventEncoder } from '../schemas/eventCodec.ts';
import { PaymentCommands } from '../payments/paymentCommands.ts';
import { paymentRoutes } from '../payments/paymentRoutes.ts';

export interface CommandApiDeps {
  config: Config;
  pool: pg.Pool;
  encoder: EventEncoder;
  /** The payments service's database: its routes are served here too when given. */
  paymentsPool?: pg.Pool;
}

export async function buildCommandApi({ config, pool, encoder, paymentsPool }: CommandApiDeps): Promise<FastifyInstance> {
  // Stored keys live on the read-model server (lib/auth/storedApiKeys.ts), read through a pool
  // of their own: a key lookup never waits for, or holds, a connection commands need.
  const keysPool = storedKeysPool(config, 'command-api');
  const app = await createHttpApi({
    component: 'command-api',
    title: 'outflow command API',
    description: 'Commands write the write model and the outbox in one transaction.',
    config,
    host: config.commandApi.host,
    storedKeys: storedApiKeys(keysPool),
    coerceTypes: false,
    bodyLimit: 256 * 1024,
  }).catch(async (error: unknown) => {
    await keysPool.end();
    throw error;
  });
  app.addHook('onClose', async () => keysPool.end());
  // Every route here changes something; an analyst key is read-only.
  app.addHook('onRequest', async (request) => {
    if (request.principal?.role === 'analyst') throw new Forbidden(`${request.method} ${request.routeOptions.url} changes data; an analyst key is read-only`);
  });
  const executor = new CommandExecutor(pool, encoder);

  catalogRoutes(app, executor);
  orderRoutes(app, executor);
  if (paymentsPool) paymentRoutes(app, new PaymentCommands(paymentsPool, encoder));

  // The payments database is not a readiness dependency: its outage must not take the order and
  // catalogue commands out of service (a payment command answers 503 on its own).
  healthRoutes(app, { writePostgres: () => pool.query('SELECT 1') }, { probeTimeoutMs: config.timeouts.http.healthProbeMs });
  return app;
}
