// Row locks a test holds on a write database, and waits for the command API's sessions to queue
// behind them: how a test makes requests truly concurrent, or provokes a deadlock, without sleeps.
import pg from 'pg';
import type { Test } from 'tap';
import type { Config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';

/** What the command API's pool names its sessions (command-api/main.ts). */
const COMMAND_API_SESSIONS = 'outflow-command-api';

/** A session of the test's own on `config`'s write database, ended when the test ends. */
export async function lockHolder(t: Test, config: Config): Promise<pg.Client> {
  const { host, port, user, password, writeDatabase } = config.postgres;
  const client = new pg.Client({ host, port, user, password, database: writeDatabase, application_name: 'outflow-test-lock-holder' });
  await client.connect();
  // Ending the session also rolls back its transaction, so a failed test releases its locks.
  t.teardown(() => client.end());
  return client;
}

/** Command API sessions of the pool's database waiting for a lock (row, tuple or transaction). */
async function commandsWaitingForLocks(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
    [COMMAND_API_SESSIONS],
  );
  return rows[0]!.n;
}

/** Polls until `count` command API sessions wait for a lock; fails at once if `pending` answered first. */
export async function untilCommandsWait(pool: pg.Pool, count: number, pending: Promise<unknown>, what: string): Promise<void> {
  let answered = false;
  void pending.then(() => { answered = true; });
  const state = await pollUntil(what, async () => {
    if (answered) return 'answered';
    return (await commandsWaitingForLocks(pool)) === count ? 'waiting' : undefined;
  }, { timeoutMs: 20_000, intervalMs: 10 });
  if (state !== 'waiting') throw new Error(`the command answered before ${what}`);
}
