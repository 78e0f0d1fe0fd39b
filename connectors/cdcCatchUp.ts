// Whether Debezium has streamed everything committed so far: a marker write (the heartbeat
// row) is committed after the write-model snapshot; once the replication slot's
// confirmed_flush_lsn passes the marker's LSN, Kafka Connect has acked every earlier outbox row
// into Kafka (Connect flushes source offsets, and with them the slot, only after the producer
// acked the records). The offset Debezium stores with a change names the last transaction
// completed *before* it, so the marker is confirmed by the next change after it: the wait
// upserts the row again every half second.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../lib/config.ts';
import { NotCaughtUp } from '../lib/errors.ts';
import { declaredSources, sourceNamed } from './sourceConnector.ts';
import { withServiceDatabase } from '../lib/writeDatabase.ts';

const POLL_MS = 100;
const REBEAT_MS = 500;

/**
 * Commits a marker in every declared source's database and waits until each source's connector
 * has confirmed its own (they stream independently, so the waits run side by side); returns each
 * source's marker LSN.
 */
export async function waitForAllSources(config: Config, deadline: number): Promise<Record<string, string>> {
  const sources = declaredSources(config);
  const markers = await Promise.all(sources.map((source) => waitForCdc(config, deadline, source.name)));
  return Object.fromEntries(sources.map((source, i) => [source.name, markers[i]!]));
}

/** Commits a marker in the source's database and waits until its connector has confirmed it; returns the marker's LSN. */
export async function waitForCdc(config: Config, deadline: number, sourceName: string): Promise<string> {
  const source = sourceNamed(config, sourceName);
  const slot = source.slot;
  return withServiceDatabase(config, source.database, async (client) => {
    // The same upsert the connector's heartbeat runs; the connector routes it to the heartbeat topic.
    const beat = () => client.query(`INSERT INTO ${source.heartbeatTable} (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at`);
    await beat();
    let lastBeat = Date.now();
    const marker = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
    for (;;) {
      const { rows } = await client.query<{ confirmed: string | null; reached: boolean | null; active: boolean }>(
        'SELECT confirmed_flush_lsn::text AS confirmed, confirmed_flush_lsn >= $2::pg_lsn AS reached, active FROM pg_replication_slots WHERE slot_name = $1',
        [slot, marker],
      );
      const state = rows[0];
      if (!state) throw new NotCaughtUp(`the ${source.name} connector`, `replication slot ${slot} does not exist: the connector never ran`, `run \`outflow connectors apply ${source.name}\``);
      if (state.reached) return marker;
      if (Date.now() >= deadline) {
        throw new NotCaughtUp(
          `the ${source.name} connector`,
          `slot ${slot} has confirmed ${state.confirmed ?? 'nothing'}, not yet ${marker}${state.active ? '' : ' (no connector is attached to it)'}`,
          `check \`outflow connectors status ${source.name}\`; a stopped or failed connector must be restarted before verify can compare`,
        );
      }
      if (Date.now() - lastBeat >= REBEAT_MS) {
        await beat();
        lastBeat = Date.now();
      }
      await sleep(POLL_MS);
    }
  });
}
