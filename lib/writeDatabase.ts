// The write database as every part of the pipeline opens it for one piece of work: the command
// API's migrations and pruning, the connectors' slot and outbox checks, verification's snapshot
// of the write model. The command API's request path has its own pooled, pipelined connections.
import pg from 'pg';
import type { Config } from './config.ts';

export function writeDatabaseClient(config: Config, database = config.postgres.writeDatabase): pg.Client {
  const { host, port, user, password } = config.postgres;
  return new pg.Client({ host, port, user, password, database });
}

/** Runs `work` on a connection of its own to the write database, closed afterwards. */
export async function withWriteDatabase<T>(config: Config, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withServiceDatabase(config, config.postgres.writeDatabase, work);
}

/**
 * Runs `work` on a connection of its own to one service's database on the write server (the
 * command API's, the payments service's), closed afterwards.
 */
export async function withServiceDatabase<T>(config: Config, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = writeDatabaseClient(config, database);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
