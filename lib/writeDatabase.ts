// The write database as every part of the pipeline opens it for one piece of work: the command
// API's migrations and pruning, the connectors' slot and outbox checks, verification's snapshot
// of the write model. The command API's request path has its own pooled, pipelined connections.
import pg from 'pg';
import type { Config } from './config.ts';

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
