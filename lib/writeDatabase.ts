// The write server's databases as every part of the pipeline opens them for one piece of work:
// the command API's migrations and pruning, each source's slot, publication and outbox checks
// (a logical slot belongs to one database, so it is created there too, as the CDC role), and
// verification's snapshots. The command API's request path has its own pooled, pipelined connections.
import pg from 'pg';
import type { Config } from './config.ts';

export function writeDatabaseClient(config: Config, database = config.postgres.writeDatabase, { asCdcUser = false } = {}): pg.Client {
  const { host, port, user, password, cdcUser, cdcPassword } = config.postgres;
  return new pg.Client({ host, port, user: asCdcUser ? cdcUser : user, password: asCdcUser ? cdcPassword : password, database });
}

/** Runs `work` on a connection of its own to the write database, closed afterwards. */
export async function withWriteDatabase<T>(config: Config, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withServiceDatabase(config, config.postgres.writeDatabase, work);
}

/**
 * Runs `work` on a connection of its own to one service's database on the write server (the
 * command API's, the payments service's: a source's), closed afterwards; as the CDC role when asked.
 */
export async function withServiceDatabase<T>(config: Config, database: string, work: (client: pg.Client) => Promise<T>, options: { asCdcUser?: boolean } = {}): Promise<T> {
  const client = writeDatabaseClient(config, database, options);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
