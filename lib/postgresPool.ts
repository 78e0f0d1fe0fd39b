// Every long-lived Postgres pool of the services. A database restart terminates the pool's
// idle connections, and pg reports that as an 'error' event on the pool; without a listener
// node treats it as an uncaught exception and the whole process dies. The pool has already
// dropped the broken client, and the next query opens a new one (or fails, and the caller's
// retry logic decides), so the event is only worth a log line.
import pg from 'pg';
import type pino from 'pino';

export function postgresPool(options: pg.PoolConfig & { application_name: string }, log?: pino.Logger): pg.Pool {
  const pool = new pg.Pool(options);
  pool.on('error', (error) => log?.warn({ err: error.message, pool: options.application_name }, 'idle Postgres connection lost; it will be replaced'));
  return pool;
}
