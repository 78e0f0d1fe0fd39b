// An update of the connector that places another outbox column in a header (as traceparent was,
// with migration 006) must not meet a row written before that column existed: the outbox router
// reads each placed field by name, and a row decoded with the table's older shape has no such
// field, so the task would fail on it and stop streaming. The migrations have run by now, so every
// row written from the current WAL position on has the column; the update waits until the slot
// has confirmed everything before that position, which the connector streams with the config it
// runs, and goes ahead only then.
import type { Config } from '../lib/config.ts';
import { ConnectorNotRunning } from '../lib/errors.ts';
import { pollUntil } from '../lib/pollUntil.ts';
import type { ConnectClient } from './connectClient.ts';
import type { ConnectorSettings } from './connectorConfig.ts';
import type { Source } from './sourceConnector.ts';
import { withServiceDatabase } from '../lib/writeDatabase.ts';

const PLACEMENT = 'transforms.outbox.table.fields.additional.placement';

/** The outbox columns a config places in headers or the envelope (`column:placement[:alias]`, comma-separated). */
export function placedColumns(config: ConnectorSettings | undefined): Set<string> {
  const list = config?.[PLACEMENT] ?? '';
  return new Set(list.split(',').map((entry) => entry.split(':')[0]!.trim()).filter(Boolean));
}

/** The columns `next` places that the running config does not. */
export function newlyPlacedColumns(running: ConnectorSettings | undefined, next: ConnectorSettings): string[] {
  const before = placedColumns(running);
  return [...placedColumns(next)].filter((column) => !before.has(column)).sort();
}

/** How far (bytes) the slot's confirmed position is behind `lsn`; undefined without the slot. */
async function slotBehind(config: Config, source: Source, lsn: string): Promise<number | undefined> {
  return withServiceDatabase(config, source.database, async (client) => {
    const { rows } = await client.query<{ behind: string | null }>(
      'SELECT pg_wal_lsn_diff($1::pg_lsn, confirmed_flush_lsn)::bigint::text AS behind FROM pg_replication_slots WHERE slot_name = $2',
      [lsn, source.slot],
    );
    return rows[0] ? Number(rows[0].behind ?? Number.MAX_SAFE_INTEGER) : undefined;
  });
}

/**
 * Returns once the source's connector config can replace the running one safely; throws
 * ConnectorNotRunning with the fix when the running connector does not confirm the older rows
 * within `timeoutMs`. A connector that does not exist yet, or an update that places no new
 * column, returns at once.
 */
export async function awaitRowsBeforePlacedColumns(
  config: Config,
  client: ConnectClient,
  source: Source,
  { log = () => {}, timeoutMs = 120_000 }: { log?: (message: string) => void; timeoutMs?: number } = {},
): Promise<void> {
  const definition = source.connector;
  const running = await client.connectorConfig(definition.name);
  if (!running) return;
  const added = newlyPlacedColumns(running, definition.config);
  if (!added.length) return;
  const slotName = source.slot;
  const lsn = await withServiceDatabase(config, source.database, async (db) => (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn);
  log(`the update places ${added.join(', ')}: waiting until ${definition.name} has streamed the outbox rows written before (WAL ${lsn})`);
  try {
    await pollUntil(`slot ${slotName} confirmed up to ${lsn}`, async () => {
      const behind = await slotBehind(config, source, lsn);
      return behind === undefined || behind <= 0 ? true : undefined;
    }, { timeoutMs, intervalMs: 500 });
  } catch {
    throw new ConnectorNotRunning(
      definition.name,
      `not updated: the new config places ${added.join(', ')}, and the replication slot ${slotName} has not yet confirmed the outbox rows written before ${added.length > 1 ? 'those columns' : 'that column'} existed (WAL ${lsn}); the outbox router would fail on them. Let the running connector catch up (\`outflow connectors status ${source.name}\`: RUNNING, slot lag near 0), then run \`outflow connectors apply ${source.name}\` again`,
    );
  }
}
