// Before comparing, `outflow verify` waits until everything committed so far has travelled
// the whole pipeline:
//   1. Debezium: a marker write (the heartbeat row) is committed after the write-model
//      snapshot; once the replication slot's confirmed_flush_lsn passes the marker's LSN,
//      Kafka Connect has acked every earlier outbox row into Kafka (Connect flushes source
//      offsets, and with them the slot, only after the producer acked the records). The
//      offset Debezium stores with a change names the last transaction completed *before*
//      it, so the marker is confirmed by the next change after it: verify upserts the row
//      again every half second while it waits.
//   2. Projectors: the topics' end offsets, read after step 1, bound what the read models
//      must have applied; each store's own checkpoints (written atomically with the data)
//      must reach them. Committed consumer offsets would not do: they trail the stores.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { outboxSlotName } from '../../connectors/connectorConfig.ts';
import { withWriteDatabase } from '../../command-api/writeSchema.ts';
import type { Config } from '../../lib/config.ts';
import { NotCaughtUp } from '../../lib/errors.ts';
import type { ProjectionStore } from '../projection.ts';

const POLL_MS = 100;
const REBEAT_MS = 500;

/** Commits a marker and waits until Debezium has confirmed it; returns the marker's LSN. */
export async function waitForCdc(config: Config, deadline: number): Promise<string> {
  const slot = outboxSlotName(config);
  return withWriteDatabase(config, async (client) => {
    // The same upsert the connector's heartbeat runs; the connector routes it to the heartbeat topic.
    const beat = () => client.query(`INSERT INTO write.cdc_heartbeat (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at`);
    await beat();
    let lastBeat = Date.now();
    const marker = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
    for (;;) {
      const { rows } = await client.query<{ confirmed: string | null; reached: boolean | null; active: boolean }>(
        'SELECT confirmed_flush_lsn::text AS confirmed, confirmed_flush_lsn >= $2::pg_lsn AS reached, active FROM pg_replication_slots WHERE slot_name = $1',
        [slot, marker],
      );
      const state = rows[0];
      if (!state) throw new NotCaughtUp('the outbox connector', `replication slot ${slot} does not exist: the connector never ran`, 'run `outflow connectors apply`');
      if (state.reached) return marker;
      if (Date.now() >= deadline) {
        throw new NotCaughtUp(
          'the outbox connector',
          `slot ${slot} has confirmed ${state.confirmed ?? 'nothing'}, not yet ${marker}${state.active ? '' : ' (no connector is attached to it)'}`,
          'check `outflow connectors status`; a stopped or failed connector must be restarted before verify can compare',
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

export interface CatchUpTarget {
  projection: string;
  generation: number;
  store: ProjectionStore;
  topics: readonly string[];
}

interface Behind {
  projection: string;
  topic: string;
  partition: number;
  checkpoint: string | undefined;
  lastOffset: string;
}

/** Waits until every target's checkpoints reach the current end of its topics. */
export async function waitForProjections(admin: Admin, targets: readonly CatchUpTarget[], deadline: number): Promise<void> {
  const topics = [...new Set(targets.flatMap((t) => t.topics))];
  const lastOffsets = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const partitions = new Map<number, bigint>();
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      // An empty partition (or one whose records all expired) asks nothing of the projection.
      if (BigInt(high) > BigInt(low)) partitions.set(partition, BigInt(high) - 1n);
    }
    lastOffsets.set(topic, partitions);
  }
  for (;;) {
    const behind: Behind[] = [];
    for (const target of targets) {
      for (const topic of target.topics) {
        const checkpoints = await target.store.readCheckpoints(topic);
        for (const [partition, last] of lastOffsets.get(topic) ?? []) {
          const checkpoint = checkpoints.get(partition);
          if (checkpoint === undefined || BigInt(checkpoint) < last) {
            behind.push({ projection: target.projection, topic, partition, checkpoint, lastOffset: String(last) });
          }
        }
      }
    }
    if (behind.length === 0) return;
    if (Date.now() >= deadline) {
      const projections = [...new Set(behind.map((b) => b.projection))];
      const sample = behind.slice(0, 5).map((b) => `${b.projection} ${b.topic}[${b.partition}] at ${b.checkpoint ?? 'nothing'} of ${b.lastOffset}`);
      throw new NotCaughtUp(
        projections.join(', '),
        `${behind.length} partition(s) behind, e.g. ${sample.join('; ')}`,
        `is a worker running for ${projections.join(', ')}? (\`outflow projector run\`; its /health shows retries)`,
      );
    }
    await sleep(POLL_MS);
  }
}
