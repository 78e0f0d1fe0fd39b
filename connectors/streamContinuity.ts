// Whether starting a source's connector now would silently skip events. Debezium starts a connector
// whose slot is missing by creating a new slot at the current WAL position: every outbox row
// committed since the old slot went away would never reach the topics. So `apply` refuses a lost
// slot, a missing slot once its topics hold events (the source has streamed before) or its
// outbox holds rows (commands ran before there was a connector), and a recovery that did not
// finish; `outflow connectors recover <source>` handles all of them.
//
// An unfinished recovery is recorded in the write database's write.outbox_republish, keyed by
// slot, for every source: slot names are unique on the server (checked with the declarations),
// and a service's own database need carry no table of outflow's.
import type { Config } from '../lib/config.ts';
import { ReplicationSlotAtRisk } from '../lib/errors.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';
import { pollUntil } from '../lib/pollUntil.ts';
import { isUndefinedTable } from '../lib/postgresFailure.ts';
import { withServiceDatabase, withWriteDatabase } from '../lib/writeDatabase.ts';
import { replicationSlotState } from './replicationSlot.ts';
import type { Source } from './sourceConnector.ts';

const recover = (source: Source) =>
  `run \`outflow connectors recover ${source.name}\`: it recreates the slot and the connector and publishes the outbox rows the topics may lack before streaming resumes (see "Recovering a lost or dropped slot" in docs/change-data-capture.md)`;

/** The starting point an earlier `connectors recover` recorded and did not clear, if any. */
export async function unfinishedRecovery(config: Config, slotName: string): Promise<{ since: Date | null } | undefined> {
  return withWriteDatabase(config, async (client) => {
    // Before migration 005 there is no such table, and so no recovery either.
    const { rows } = await client.query<{ since: Date | null }>('SELECT since FROM write.outbox_republish WHERE slot_name = $1', [slotName]).catch((error: unknown) => (isUndefinedTable(error) ? { rows: [] } : Promise.reject(error)));
    return rows[0];
  });
}

async function topicsHoldEvents(config: Config, topics: readonly string[]): Promise<boolean> {
  const kafka = kafkaClient(config, 'continuity');
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Right after the topics are created their leaders may still be moving: retried until settled.
    return await pollUntil('the event topics\' offsets', async () => {
      const existing = new Set(await admin.listTopics());
      for (const topic of topics.filter((t) => existing.has(t))) {
        if ((await admin.fetchTopicOffsets(topic)).some((p) => BigInt(p.high) > BigInt(p.low))) return true;
      }
      return false;
    }, { timeoutMs: 30_000, intervalMs: 250 });
  } finally {
    await admin.disconnect();
  }
}

/** Throws ReplicationSlotAtRisk (with the fix) when streaming from the source's slot as it is would lose events. */
export async function assertStreamContinues(config: Config, source: Source): Promise<void> {
  const slotName = source.slot;
  const [slot, unfinished] = await Promise.all([replicationSlotState(config, source), unfinishedRecovery(config, slotName)]);
  if (unfinished) throw new ReplicationSlotAtRisk(slotName, 'being recovered', `an earlier recovery did not finish; ${recover(source)}`);
  if (slot?.walStatus === 'lost') throw new ReplicationSlotAtRisk(slotName, 'lost', `Postgres removed WAL the connector had not streamed; ${recover(source)}`);
  if (slot) return;
  if (await topicsHoldEvents(config, source.topics)) {
    throw new ReplicationSlotAtRisk(slotName, 'missing', `its topics (${source.topics.join(', ')}) hold events, so the connector streamed from it before; a new slot would start at the current WAL position and skip what was committed meanwhile; ${recover(source)}`);
  }
  if (await outboxHoldsRows(config, source)) {
    throw new ReplicationSlotAtRisk(slotName, 'missing', `${source.outboxTable} holds rows committed before there was a connector (commands ran before \`outflow connectors apply ${source.name}\`); a new slot would start after them and they would never be published; ${recover(source)}`);
  }
}

async function outboxHoldsRows(config: Config, source: Source): Promise<boolean> {
  return withServiceDatabase(config, source.database, async (client) => {
    const { rows } = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${source.outboxTable}) AS any`);
    return rows[0]?.any ?? false;
  });
}
