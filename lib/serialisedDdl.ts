// Idempotent DDL (CREATE ... IF NOT EXISTS) that several processes may run at once, e.g. every
// worker creating the tables it needs at start. Postgres can still fail two concurrent creations
// of the same object on its catalog (a unique violation on pg_type), so each runs in a
// transaction holding an advisory lock named after what it creates.
import type pg from 'pg';
import { inTransaction } from './postgresTransaction.ts';

export function runSerialisedDdl(pool: pg.Pool, lockName: string, ddl: string): Promise<void> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    await tx.query(ddl);
  });
}
