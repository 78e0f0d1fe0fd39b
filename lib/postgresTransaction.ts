// One transaction on a pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any failure.
import type pg from 'pg';

export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: the pool must discard it.
  let broken: Error | undefined;
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await tx.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    tx.release(broken);
  }
}
