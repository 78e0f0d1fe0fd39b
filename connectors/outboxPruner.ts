// A source's outbox rows are kept after Debezium has streamed them, as an audit trail that can
// re-publish an event by hand, and pruned by age. The publication streams inserts and
// updates only, so these deletes never reach Kafka. Pruning refuses to run while the
// connector is not keeping up: then old rows might not be in Kafka yet.
import { ageMs } from '../lib/cliArguments.ts';
import type { Config } from '../lib/config.ts';
import { OutboxPruneRefused } from '../lib/errors.ts';
import { replicationSlotState } from './replicationSlot.ts';
import { COMMAND_API_SOURCE, sourceNamed } from './sourceConnector.ts';
import { withServiceDatabase } from '../lib/writeDatabase.ts';

/** The slot may trail the WAL by at most this much for a prune to be safe. */
const MAX_SLOT_LAG_BYTES = 64 * 1024 * 1024;
const MIN_AGE_MS = 60 * 60 * 1000;

/** "7d", "12h", "90m" → milliseconds. */
export function parseAge(text: string): number {
  const ms = ageMs(text);
  if (ms === undefined) throw new OutboxPruneRefused(`--older-than ${JSON.stringify(text)} is not a duration like 7d, 12h or 90m`);
  return ms;
}

export async function pruneOutbox(config: Config, { olderThanMs, dryRun, source: sourceName = COMMAND_API_SOURCE }: { olderThanMs: number; dryRun: boolean; source?: string }) {
  if (olderThanMs < MIN_AGE_MS) throw new OutboxPruneRefused('rows younger than 1h are never pruned');
  const source = sourceNamed(config, sourceName);
  const slotName = source.slot;
  const slot = await replicationSlotState(config, source);
  if (!slot) throw new OutboxPruneRefused(`replication slot ${slotName} does not exist: the connector never ran, so nothing is known to be in Kafka`);
  if (!slot.active || slot.lagBytes === null || slot.lagBytes > MAX_SLOT_LAG_BYTES) {
    throw new OutboxPruneRefused(`the connector is not keeping up (slot ${slotName} active=${slot.active}, lag=${slot.lagBytes ?? 'unknown'} bytes); check outflow connectors status ${source.name}`);
  }
  return withServiceDatabase(config, source.database, async (client) => {
    const cutoff = new Date(Date.now() - olderThanMs);
    const sql = dryRun
      ? `SELECT count(*)::int AS n FROM ${source.outboxTable} WHERE occurred_at < $1`
      : `WITH gone AS (DELETE FROM ${source.outboxTable} WHERE occurred_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`;
    const { rows } = await client.query<{ n: number }>(sql, [cutoff]);
    return { source: source.name, cutoff, rows: rows[0]?.n ?? 0, dryRun };
  });
}
