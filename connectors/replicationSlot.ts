// How far the connector's logical replication slot trails the WAL. The slot keeps every WAL
// segment from its confirmed_flush_lsn on, so a growing lag means Postgres' disk fills up
// while Debezium is stopped or stuck; the heartbeat keeps it small while the outbox is idle.
import type { Config } from '../lib/config.ts';
import { withServiceDatabase } from '../lib/writeDatabase.ts';
import type { Source } from './sourceConnector.ts';

/**
 * What the slot queries need of a source: its slot, its database and its heartbeat table (absent
 * for a connector no declaration names: its slot is read, its heartbeat age is unknown).
 */
export type SlotSource = Pick<Source, 'slot' | 'database'> & Partial<Pick<Source, 'heartbeatTable'>>;

export interface ReplicationSlotState {
  slotName: string;
  /** A walsender (Debezium) is connected to the slot right now. */
  active: boolean;
  /** WAL bytes written since the slot's confirmed flush position; null before the first confirmation. */
  lagBytes: number | null;
  confirmedFlushLsn: string | null;
  /** WAL bytes the slot keeps on disk (from its restart position): what a stopped connector costs the disk. */
  retainedBytes: number | null;
  /**
   * Postgres' verdict: reserved (within max_wal_size), extended (within max_slot_wal_keep_size),
   * unreserved (past the bound: the next checkpoint removes WAL it needs), lost (invalidated).
   */
  walStatus: 'reserved' | 'extended' | 'unreserved' | 'lost' | null;
  /** Bytes that can still be written before the slot is at risk; null when unbounded or lost. */
  safeWalBytes: number | null;
  /** The bound in force (max_slot_wal_keep_size), as Postgres shows it; '-1' is no bound. */
  maxSlotWalKeepSize: string;
  /** Seconds since the connector's last heartbeat reached the source's database (null: none yet). */
  heartbeatAgeSeconds: number | null;
}

interface SlotRow {
  active: boolean;
  lag_bytes: string | null;
  confirmed_flush_lsn: string | null;
  retained_bytes: string | null;
  wal_status: ReplicationSlotState['walStatus'];
  safe_wal_size: string | null;
  max_slot_wal_keep_size: string;
  heartbeat_age_seconds: number | null;
}

/** The slot's state, or undefined when no slot has that name (the connector never ran). */
export async function replicationSlotState(config: Config, source: SlotSource): Promise<ReplicationSlotState | undefined> {
  const slotName = source.slot;
  // The heartbeat table's name comes from a checked declaration (schema.table, lower case).
  return withServiceDatabase(config, source.database, async (client) => {
    const { rows } = await client.query<SlotRow>(
      `SELECT s.active,
              pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text AS lag_bytes,
              s.confirmed_flush_lsn::text,
              pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text AS retained_bytes,
              s.wal_status, s.safe_wal_size::text,
              current_setting('max_slot_wal_keep_size') AS max_slot_wal_keep_size,
              ${source.heartbeatTable ? `(SELECT extract(epoch FROM now() - max(beat_at))::float8 FROM ${source.heartbeatTable})` : 'NULL::float8'} AS heartbeat_age_seconds
         FROM pg_replication_slots s WHERE s.slot_name = $1`,
      [slotName],
    );
    const row = rows[0];
    if (!row) return undefined;
    const bytes = (text: string | null) => (text === null ? null : Number(text));
    return {
      slotName,
      active: row.active,
      lagBytes: bytes(row.lag_bytes),
      confirmedFlushLsn: row.confirmed_flush_lsn,
      retainedBytes: bytes(row.retained_bytes),
      walStatus: row.wal_status,
      safeWalBytes: bytes(row.safe_wal_size),
      maxSlotWalKeepSize: row.max_slot_wal_keep_size,
      heartbeatAgeSeconds: row.heartbeat_age_seconds === null ? null : Math.round(row.heartbeat_age_seconds * 10) / 10,
    };
  });
}

const mib = (bytes: number | null) => (bytes === null ? '?' : `${(bytes / 1048576).toFixed(1)} MiB`);

/** The slot in two lines for `outflow connectors status`. */
export function describeSlot(slot: ReplicationSlotState): string {
  const heartbeat = slot.heartbeatAgeSeconds === null ? 'no heartbeat yet' : `last heartbeat ${slot.heartbeatAgeSeconds} s ago`;
  return [
    `replication slot ${slot.slotName}: ${slot.active ? 'active' : 'inactive'}, ${slot.walStatus ?? '?'}, lag ${slot.lagBytes ?? '?'} bytes (confirmed ${slot.confirmedFlushLsn ?? '-'}), ${heartbeat}`,
    `  retains ${mib(slot.retainedBytes)} of WAL; bound max_slot_wal_keep_size = ${slot.maxSlotWalKeepSize}${slot.safeWalBytes === null ? '' : `, ${mib(slot.safeWalBytes)} more before it is at risk`}`,
  ].join('\n');
}

/** What an operator must know about a slot's WAL, or undefined when it is safe; `source` names the fix's command. */
export function slotWarning(slot: ReplicationSlotState, source: Pick<Source, 'name' | 'outboxTable'>): { walStatus: string; fix: string } | undefined {
  const { name } = source;
  if (slot.walStatus === 'unreserved') {
    return {
      walStatus: 'unreserved',
      fix: `it holds more WAL than max_slot_wal_keep_size (${slot.maxSlotWalKeepSize}); the next checkpoint may invalidate it. Bring Kafka Connect and the connector back to RUNNING now (outflow connectors status ${name}, outflow connectors restart ${name})`,
    };
  }
  if (slot.walStatus === 'lost') {
    return {
      walStatus: 'lost',
      fix: `Postgres removed WAL the connector had not streamed. Every event is still in ${source.outboxTable} (until pruned): run \`outflow connectors recover ${name}\`, which recreates the slot and the connector and publishes the outbox rows the topics may lack before streaming resumes. See "Recovering a lost or dropped slot" in docs/change-data-capture.md`,
    };
  }
  return undefined;
}

/**
 * Whether the publication the slot decodes through exists in the source's database (the
 * source's migration creates it as the tables' owner; see 002_cdc_publication.sql).
 */
export async function publicationExists(config: Config, source: Pick<Source, 'database' | 'publication'>): Promise<boolean> {
  return withServiceDatabase(config, source.database, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [source.publication]);
    return rowCount === 1;
  });
}
