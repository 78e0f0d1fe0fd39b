// One transaction on a pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any failure.
import type pg from 'pg';

export interface TransactionOptions {
  /**
   * Commit without waiting for the WAL flush (`SET LOCAL synchronous_commit = off`, sent with
   * BEGIN in one round trip): for writes a crash may lose as long as it loses them atomically.
   */
  asynchronousCommit?: boolean;
}

export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const tx = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: the pool must discard it.
  let broken: Error | undefined;
  try {
    await tx.query(options.asynchronousCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
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
