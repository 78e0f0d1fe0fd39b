// Idempotency keys: the response to the first request with a key is stored in the
// same transaction as its effects, so a retry gets the same answer and writes nothing.
import type pg from 'pg';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
}

export async function findProcessedCommand(tx: pg.ClientBase | pg.Pool, principal: string, key: string): Promise<StoredResponse | undefined> {
  const { rows } = await tx.query<{ request_hash: string; response_status: number; response_body: unknown }>(
    'SELECT request_hash, response_status, response_body FROM write.processed_commands WHERE principal = $1 AND idempotency_key = $2',
    [principal, key],
  );
  const row = rows[0];
  return row && { requestHash: row.request_hash, status: row.response_status, body: row.response_body };
}

/** Records the response; false when a concurrent request with the same key got there first. */
export async function recordProcessedCommand(
  tx: pg.ClientBase,
  principal: string,
  key: string,
  response: StoredResponse,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO write.processed_commands (principal, idempotency_key, request_hash, response_status, response_body)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [principal, key, response.requestHash, response.status, JSON.stringify(response.body)],
  );
  return rowCount === 1;
}
