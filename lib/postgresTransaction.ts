// One transaction on a pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any failure.
import type pg from 'pg';

/**
 * Statements that travel with BEGIN and with COMMIT, each pair in one simple query (one round
 * trip): for a transaction whose first and last steps are known before its work starts. A simple
 * query takes no parameters, so these carry their values as literals the caller escaped.
 */
export interface TransactionEnds {
  /** Sent after BEGIN in the same query; its results (one per statement) reach the work. */
  withBegin?: string;
  /** Sent before COMMIT in the same query. If one of them fails, the server skips the COMMIT and the transaction rolls back. */
  withCommit?: string;
}

export async function inTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T>,
  ends: TransactionEnds = {},
): Promise<T> {
  const tx = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: the pool must discard it.
  let broken: Error | undefined;
  try {
    // Several statements in one simple query answer with one result each, BEGIN's first.
    const opened = (await tx.query(ends.withBegin ? `BEGIN; ${ends.withBegin}` : 'BEGIN')) as pg.QueryResult | pg.QueryResult[];
    const result = await work(tx, Array.isArray(opened) ? opened.slice(1) : []);
    await tx.query(ends.withCommit ? `${ends.withCommit}; COMMIT` : 'COMMIT');
    return result;
  } catch (error) {
    // Outside a transaction (a failed COMMIT ended it) ROLLBACK only warns.
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
