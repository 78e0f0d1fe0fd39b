// Idempotency keys: the response to the first request with a key is stored by the same statement
// as its effects, so a retry gets the same answer and writes nothing. Records are scoped by the
// API key's id (Principal.keyId), so two keys never share them, whatever their names.
import type pg from 'pg';
import { uniqueViolationConstraint } from '../../lib/postgresFailure.ts';
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

/** The stored answer to (API key id, idempotency key), if any: a read of the command's first round trip. */
export function processedCommandLookup(keyId: string, key: string): pg.QueryConfig {
  return preparedQuery(
    'SELECT request_hash, response_status, response_body FROM write.processed_commands WHERE key_id = $1 AND idempotency_key = $2',
    [keyId, key],
  );
}

export function storedResponse(result: pg.QueryResult): StoredResponse | undefined {
  const row = (result as pg.QueryResult<ProcessedCommandRow>).rows[0];
  return row && { requestHash: row.request_hash, status: row.response_status, body: row.response_body };
}

export async function findProcessedCommand(db: pg.ClientBase | pg.Pool, keyId: string, key: string): Promise<StoredResponse | undefined> {
  return storedResponse(await db.query(processedCommandLookup(keyId, key)));
}

/**
 * The stored answer, the write statement's last step. A plain INSERT: when a concurrent request
 * with the same key committed first, the unique key raises (isKeyTaken) and the whole statement,
 * state and outbox rows included, wrote nothing.
 */
export function recordProcessedCommand(statement: WriteStatement, keyId: string, key: string, response: StoredResponse): void {
  const p = (value: unknown, type?: string) => statement.param(value, type);
  statement.then(
    'stored_answer',
    `INSERT INTO write.processed_commands (key_id, idempotency_key, request_hash, response_status, response_body)
     SELECT ${p(keyId, 'text')}, ${p(key, 'text')}, ${p(response.requestHash, 'text')}, ${p(response.status, 'int')}, ${p(JSON.stringify(response.body), 'jsonb')}
     FROM (SELECT count(*) FROM outbox_rows) AS after_outbox
     RETURNING 1`,
  );
}

/** The write statement failed because another request with the same key committed first. */
export function isKeyTaken(error: unknown): boolean {
  return uniqueViolationConstraint(error) === 'processed_commands_pkey';
}
