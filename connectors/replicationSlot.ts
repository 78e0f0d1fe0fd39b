// How far the connector's logical replication slot trails the WAL. The slot keeps every WAL
// segment from its confirmed_flush_lsn on, so a growing lag means Postgres' disk fills up
// while Debezium is stopped or stuck; the heartbeat keeps it small while the outbox is idle.
import { withWriteDatabase } from '../command-api/writeSchema.ts';
import type { Config } from '../lib/config.ts';

export interface ReplicationSlotState {
  slotName: string;
  /** A walsender (Debezium) is connected to the slot right now. */
  active: boolean;
  /** WAL bytes written since the slot's confirmed flush position; null before the first confirmation. */
  lagBytes: number | null;
  confirmedFlushLsn: string | null;
}

/** The slot's state, or undefined when no slot has that name (the connector never ran). */
export async function replicationSlotState(config: Config, slotName: string): Promise<ReplicationSlotState | undefined> {
  return withWriteDatabase(config, async (client) => {
    const { rows } = await client.query<{ active: boolean; lag_bytes: string | null; confirmed_flush_lsn: string | null }>(
      `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag_bytes, confirmed_flush_lsn::text
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { slotName, active: row.active, lagBytes: row.lag_bytes === null ? null : Number(row.lag_bytes), confirmedFlushLsn: row.confirmed_flush_lsn };
  });
}

/** Whether the publication the slot decodes through exists (our migration creates it; see 002_cdc_publication.sql). */
export async function publicationExists(config: Config, publication: string): Promise<boolean> {
  return withWriteDatabase(config, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
    return rowCount === 1;
  });
}
