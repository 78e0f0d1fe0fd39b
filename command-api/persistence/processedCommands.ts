// Idempotency keys: the response to the first request with a key is stored by the same statement
// as its effects, so a retry gets the same answer and writes nothing.
import type pg from 'pg';
import { preparedQuery, type WriteStatement } from './writeStatement.ts';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
}

interface ProcessedCommandRow {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

/** The stored answer to (principal, key), if any: a read of the command's first round trip. */
export function processedCommandLookup(principal: string, key: string): pg.QueryConfig {
  return preparedQuery(
    'SELECT request_hash, response_status, response_body FROM write.processed_commands WHERE principal = $1 AND idempotency_key = $2',
    [principal, key],
  );
}

export function storedResponse(result: pg.QueryResult): StoredResponse | undefined {
  const row = (result as pg.QueryResult<ProcessedCommandRow>).rows[0];
  return row && { requestHash: row.request_hash, status: row.response_status, body: row.response_body };
}

export async function findProcessedCommand(db: pg.ClientBase | pg.Pool, principal: string, key: string): Promise<StoredResponse | undefined> {
  return storedResponse(await db.query(processedCommandLookup(principal, key)));
}

/**
 * The stored answer, the write statement's last step. A plain INSERT: when a concurrent request
 * with the same key committed first, the unique key raises (isKeyTaken) and the whole statement,
 * state and outbox rows included, wrote nothing.
 */
export function recordProcessedCommand(statement: WriteStatement, principal: string, key: string, response: StoredResponse): void {
  const p = (value: unknown, type?: string) => statement.param(value, type);
  statement.then(
    'stored_answer',
    `INSERT INTO write.processed_commands (principal, idempotency_key, request_hash, response_status, response_body)
     SELECT ${p(principal, 'text')}, ${p(key, 'text')}, ${p(response.requestHash, 'text')}, ${p(response.status, 'int')}, ${p(JSON.stringify(response.body), 'jsonb')}
     FROM (SELECT count(*) FROM outbox_rows) AS after_outbox
     RETURNING 1`,
  );
}

/** The write statement failed because another request with the same key committed first. */
export function isKeyTaken(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'processed_commands_pkey';
}
