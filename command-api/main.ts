// Starts the command API process: write-database pool, schema ids from the registry,
// HTTP server; closes them in reverse order on SIGTERM/SIGINT.
import type pg from 'pg';
import { createLogger } from '../lib/logger.ts';
import { apiPoolTimeouts, postgresPool } from '../lib/postgresPool.ts';
import type { Config } from '../lib/config.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import { startTracing } from '../lib/tracing.ts';
import { EventCodec } from '../schemas/eventCodec.ts';
import { paymentsPool as openPaymentsPool } from '../payments/paymentsDatabase.ts';
import { buildCommandApi } from './server.ts';

/**
 * The command API's pool. Its connections are pipelined: the statements of one round trip are
 * sent back to back without waiting for each answer (commandExecutor.ts).
 */
export function writePool(config: Config): pg.Pool {
  const { host, port, user, password, writeDatabase } = config.postgres;
  return postgresPool(
    { host, port, user, password, database: writeDatabase, max: 20, application_name: 'outflow-command-api', pipeline: true, ...apiPoolTimeouts(config.timeouts.postgres) },
    createLogger('command-api', config.logLevel),
  );
}

export async function runCommandApi(config: Config): Promise<void> {
  const stopTracing = await startTracing(config.tracing, 'outflow-command-api');
  const pool = writePool(config);
  const paymentsPool = openPaymentsPool(config);
  const encoder = await EventCodec.connect(config);
  const app = await buildCommandApi({ config, pool, encoder, paymentsPool });
  await app.listen({ host: config.commandApi.host, port: config.commandApi.port });
  onShutdown(
    (message) => app.log.info(message),
    () => app.close(),
    () => pool.end(),
    () => paymentsPool.end(),
    stopTracing,
  );
}
