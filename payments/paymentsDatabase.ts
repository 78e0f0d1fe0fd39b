// The payments service's database: its pool, a connection for one piece of work, and its
// migrations (`outflow migrate` and `npm start` run them after the write schema's).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { apiPoolTimeouts, postgresPool } from '../lib/postgresPool.ts';
import { grantOutboxToCdcRole } from '../lib/cdcGrants.ts';
import { migrate, type MigrationResult } from '../lib/sqlMigrator.ts';
import { withServiceDatabase } from '../lib/writeDatabase.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

function connection(config: Config) {
  const { host, port, user, password, paymentsDatabase } = config.postgres;
  return { host, port, user, password, database: paymentsDatabase };
}

export function paymentsPool(config: Config): pg.Pool {
  return postgresPool(
    { ...connection(config), max: 10, application_name: 'outflow-payments', ...apiPoolTimeouts(config.timeouts.postgres) },
    createLogger('payments', config.logLevel),
  );
}

/** Brings the payments schema up to date and grants the CDC role what Debezium needs, nothing more. */
export async function migratePaymentsSchema(config: Config): Promise<MigrationResult> {
  return withServiceDatabase(config, config.postgres.paymentsDatabase, async (client) => {
    const result = await migrate(client, { directory: migrationsDir, historyTable: 'public.payments_schema_migrations' });
    await grantOutboxToCdcRole(client, config.postgres.cdcUser, { schema: 'payments', outboxTable: 'payments.outbox', heartbeatTable: 'payments.cdc_heartbeat' });
    return result;
  });
}
