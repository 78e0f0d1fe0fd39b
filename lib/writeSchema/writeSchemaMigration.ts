// `outflow migrate`: brings the write schema up to date and grants the CDC role what Debezium
// needs (read the outbox, write its heartbeat), nothing more. The write schema is shared: the
// command API writes it, the connectors stream and prune its outbox, verification reads it, and
// the local stack migrates it on start; so it lives here rather than with any one of them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grantOutboxToCdcRole } from '../cdcGrants.ts';
import type { Config } from '../config.ts';
import { migrate, type MigrationResult } from '../sqlMigrator.ts';
import { withWriteDatabase } from '../writeDatabase.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrateWriteSchema(config: Config): Promise<MigrationResult> {
  return withWriteDatabase(config, async (client) => {
    const result = await migrate(client, { directory: migrationsDir, historyTable: 'public.write_schema_migrations' });
    await grantOutboxToCdcRole(client, config.postgres.cdcUser, { schema: 'write', outboxTable: 'write.outbox', heartbeatTable: 'write.cdc_heartbeat' });
    return result;
  });
}
