// Every long-lived Postgres pool of the services. A database restart terminates the pool's
// connections, and pg reports that as an 'error' event; without a listener node treats it as
// an uncaught exception and the whole process dies. The pool listens on its idle connections
// only, so a connection checked out between two statements (a transaction waiting on Node)
// gets a listener of its own here. Either way the broken connection is not used again: the pool
// drops an idle one, and one checked out fails its next statement and is discarded on release
// (pg-pool does not keep a connection that is no longer queryable). So the event is only worth
// a log line; the callers' failure handling decides what the request gets.
import pg from 'pg';
import type pino from 'pino';
import type { Config } from './config.ts';

export function postgresPool(options: pg.PoolConfig & { application_name: string }, log?: pino.Logger): pg.Pool {
  const pool = new pg.Pool(options);
  // The connection's own listener below has logged it already.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', (error) => log?.warn({ err: error.message, pool: options.application_name }, 'Postgres connection lost; it will be replaced'));
  });
  return pool;
}

/**
 * The bounds an API's pool needs so that no request waits on Postgres without end: for a
 * connection (or a free slot in the pool), for a statement, for a row lock, and for any answer
 * at all from a server that hangs. Each failure is recognised by lib/dependencyFailure.ts.
 */
export function apiPoolTimeouts(timeouts: Config['timeouts']['postgres']): pg.PoolConfig {
  return {
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    query_timeout: timeouts.queryReadMs,
  };
}
