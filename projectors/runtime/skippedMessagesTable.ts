// projector_skipped_messages on the read-model Postgres: the source messages an operator
// dropped with `outflow dlq skip`, by (projection, topic, partition, offset). Not by
// generation: a skip is a decision about a message of the log, so every generation, a
// rebuild's included, skips it too instead of parking its key again. Generation-specific
// parking (projector_parked_keys) stays per generation.
import type pg from 'pg';

const createTable = `
CREATE TABLE IF NOT EXISTS projector_skipped_messages (
  projection text        NOT NULL,
  topic      text        NOT NULL,
  partition  int         NOT NULL,
  "offset"   bigint      NOT NULL,
  key        text,
  reason     text        NOT NULL,
  skipped_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition, "offset")
)`;

export interface SkippedMessage {
  projection: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
}

export async function ensureSkippedMessagesTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('projector_skipped_messages'))`);
    await client.query(createTable);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

export async function recordSkippedMessage(pool: pg.Pool, message: SkippedMessage): Promise<void> {
  await pool.query(
    `INSERT INTO projector_skipped_messages (projection, topic, partition, "offset", key, reason) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [message.projection, message.topic, message.partition, message.offset, message.key, message.reason],
  );
}

/** `<topic>:<partition>:<offset>` of every message skipped for the projection. */
export async function loadSkippedMessages(pool: pg.Pool, projection: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ position: string }>(
    `SELECT topic || ':' || partition || ':' || "offset" AS position FROM projector_skipped_messages WHERE projection = $1`,
    [projection],
  );
  return new Set(rows.map((row) => row.position));
}

export function skippedPosition(topic: string, partition: number, offset: string): string {
  return `${topic}:${partition}:${offset}`;
}
