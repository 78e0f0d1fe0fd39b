// A source's database, opened for one piece of work, as lib/writeDatabase.ts opens the write
// database: the slot, publication and outbox checks of `connectors apply`, `status` and
// `recover` run in the database the source's connector streams from. A logical replication slot
// belongs to one database, so creating one must happen there too (as the CDC role).
import pg from 'pg';
import type { Config } from '../lib/config.ts';
import type { Source } from './sourceConnector.ts';

export type SourceDatabase = Pick<Source, 'database'>;

/** Runs `work` on a connection of its own to the source's database, closed afterwards. */
export async function withSourceDatabase<T>(config: Config, source: SourceDatabase, work: (client: pg.Client) => Promise<T>, { asCdcUser = false } = {}): Promise<T> {
  const { host, port, user, password, cdcUser, cdcPassword } = config.postgres;
  const client = new pg.Client({ host, port, user: asCdcUser ? cdcUser : user, password: asCdcUser ? cdcPassword : password, database: source.database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
