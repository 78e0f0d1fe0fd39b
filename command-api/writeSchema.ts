// `outflow migrate`: brings the write schema up to date and grants the CDC role
// what Debezium needs (read the outbox, write its heartbeat), nothing more.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Config } from '../lib/config.ts';
import { migrate, type MigrationResult } from '../lib/sqlMigrator.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function writeDatabaseClient(config: Config): pg.Client {
  const { host, port, user, password, writeDatabase } = config.postgres;
  return new pg.Client({ host, port, user, password, database: writeDatabase });
}

/** Runs `work` on a connection of its own to the write database, closed afterwards. */
export async function withWriteDatabase<T>(config: Config, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = writeDatabaseClient(config);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function migrateWriteSchema(config: Config): Promise<MigrationResult> {
  return withWriteDatabase(config, async (client) => {
    const result = await migrate(client, { directory: migrationsDir, historyTable: 'public.write_schema_migrations' });
    const cdc = pg.escapeIdentifier(config.postgres.cdcUser);
    await client.query(`GRANT USAGE ON SCHEMA write TO ${cdc}`);
    await client.query(`GRANT SELECT ON write.outbox, write.cdc_heartbeat TO ${cdc}`);
    await client.query(`GRANT INSERT, UPDATE ON write.cdc_heartbeat TO ${cdc}`);
    return result;
  });
}
