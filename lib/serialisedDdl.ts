// Idempotent DDL (CREATE ... IF NOT EXISTS) that several processes may run at once, e.g. every
// worker creating the tables it needs at start. Postgres can still fail two concurrent creations
// of the same object on its catalog (a unique violation on pg_type), so each runs in a
// transaction holding an advisory lock named after what it creates.
import type pg from 'pg';

export async function runSerialisedDdl(pool: pg.Pool, lockName: string, ddl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    await client.query(ddl);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
