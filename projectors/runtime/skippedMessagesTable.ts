// projector_skipped_messages on the read-model Postgres: source messages an operator dropped
// with `outflow dlq skip`, by projection and source position. The poison stays in the event
// topic for good, so without this record every rebuild (a new generation replaying from
// offset 0) would park the same key again; with it, every generation of the projection steps
// over the message as the operator decided once.
import type pg from 'pg';
import { runSerialisedDdl } from '../../lib/serialisedDdl.ts';

export interface SkippedMessage {
  projection: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

const createTable = `
CREATE TABLE IF NOT EXISTS projector_skipped_messages (
  projection text        NOT NULL,
  topic      text        NOT NULL,
  partition  int         NOT NULL,
  "offset"   bigint      NOT NULL,
  reason     text        NOT NULL,
  skipped_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition, "offset")
)`;

export function ensureSkippedMessagesTable(pool: pg.Pool): Promise<void> {
  return runSerialisedDdl(pool, 'projector_skipped_messages', createTable);
}

export async function recordSkippedMessage(pool: pg.Pool, skipped: SkippedMessage): Promise<void> {
  await pool.query(
    `INSERT INTO projector_skipped_messages (projection, topic, partition, "offset", reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [skipped.projection, skipped.topic, skipped.partition, skipped.offset, skipped.reason],
  );
}

/** The key skippedPositionKey() gives for every skipped message of the projection. */
export async function loadSkippedPositions(pool: pg.Pool, projection: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ topic: string; partition: number; offset: string }>(
    `SELECT topic, partition, "offset"::text AS offset FROM projector_skipped_messages WHERE projection = $1`,
    [projection],
  );
  return new Set(rows.map((row) => skippedPositionKey(row.topic, row.partition, row.offset)));
}

export function skippedPositionKey(topic: string, partition: number, offset: string): string {
  return `${topic}\u0000${partition}\u0000${offset}`;
}
