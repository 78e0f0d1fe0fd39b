// `outflow connectors recover <source>`: a source's replication slot was invalidated (Connect was
// down longer than max_slot_wal_keep_size allows) or dropped, so Debezium can no longer stream the
// events committed since it stopped. They are all still rows of the source's outbox table (e.g.
// write.outbox); this puts them in its topics and resumes streaming, losing and reordering nothing:
//
//  1. The connector is stopped (or created stopped) and its offsets reset: its old LSN means
//     nothing on a new slot.
//  2. A new slot is created in the source's database. From its position on, the connector will
//     stream every commit.
//  3. Every outbox row that may have missed the topics is published again by outflow itself:
//     the rows from a margin before the newest event any partition holds. They are read after
//     the slot exists, so every commit is in the slot, in this set, or both; none in neither.
//     Rows go out per aggregate in version order, under the key, partition and headers the
//     outbox router gives them.
//  4. Only then is the connector resumed on the new slot.
//
// A dedicated publish step rather than Debezium's incremental snapshot of the outbox: a snapshot
// emits rows in primary-key (uuid) order, not per aggregate in version order, and interleaves
// them with the live stream. Events that reach a topic twice are harmless: every projection skips
// an aggregate version it has already applied (proven by `outflow verify` in the tests).
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import type { Config } from '../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorNotRunning } from '../lib/errors.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';
import { pollUntil } from '../lib/pollUntil.ts';
import { withServiceDatabase, withWriteDatabase } from '../lib/writeDatabase.ts';
import { topicOf, type AggregateType } from '../schemas/eventCatalog.ts';
import { describeStatus, waitUntilRunning } from './applyConnector.ts';
import { ConnectClient } from './connectClient.ts';
import { ensureEventTopics } from './eventTopics.ts';
import { sourceNamed, type Source } from './sourceConnector.ts';
import { publicationExists, replicationSlotState } from './replicationSlot.ts';
import { unfinishedRecovery } from './streamContinuity.ts';
import { partitionTails, type PartitionTail } from './topicTails.ts';

export interface RecoveryOptions {
  /** How far before the newest streamed event re-publishing starts: covers clock skew between command-API hosts and transaction length. */
  marginMs: number;
  dryRun?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface NewestStreamedEvent extends PartitionTail {
  occurredAt: string;
}

export interface RecoveryReport {
  source: string;
  connector: string;
  slotName: string;
  /** Why recovery was needed: the slot's state, or an earlier recovery that did not finish. */
  cause: 'lost' | 'missing' | 'interrupted';
  /** The newest event in the topics that is still an outbox row; null when none is. */
  newestStreamed: NewestStreamedEvent | null;
  /** Outbox rows that occurred at or after this were published again; null: every row. */
  since: string | null;
  /** Rows published again (dry run: that would be), per topic. */
  republished: Record<string, number>;
  /** The new slot's consistent point. */
  slotLsn: string | null;
  dryRun: boolean;
  connectorState: string | null;
}

export type RecoveryOutcome = { needed: false; source: string; slotName: string; reason: string } | ({ needed: true } & RecoveryReport);

const PAGE_ROWS = 2_000;

interface OutboxRow {
  event_id: string;
  aggregate_type: AggregateType;
  aggregate_id: string;
  aggregate_version: string;
  traceparent: string | null;
  event_type: string;
  payload: Buffer;
}

/** The newest event in the topics that is still an outbox row, and where re-publishing starts. */
async function startingPoint(config: Config, source: Source, kafka: Kafka, marginMs: number): Promise<{ newest: NewestStreamedEvent | null; since: Date | null }> {
  const tails = await partitionTails(kafka, source.topics);
  const ids = tails.flatMap((t) => (t.eventId && /^[0-9a-f-]{36}$/i.test(t.eventId) ? [t.eventId] : []));
  const occurred = await withServiceDatabase(config, source.database, async (client) => {
    const { rows } = await client.query<{ event_id: string; occurred_at: Date }>(`SELECT event_id::text, occurred_at FROM ${source.outboxTable} WHERE event_id = ANY($1::uuid[])`, [ids]);
    return new Map(rows.map((r) => [r.event_id, r.occurred_at]));
  });
  let newest: NewestStreamedEvent | null = null;
  for (const tail of tails) {
    const at = tail.eventId ? occurred.get(tail.eventId.toLowerCase()) : undefined;
    if (at && (!newest || at.getTime() > Date.parse(newest.occurredAt))) newest = { ...tail, occurredAt: at.toISOString() };
  }
  // No tail is an outbox row any more (pruned) or the topics are empty: everything the outbox
  // holds is newer than anything streamed, so all of it is published.
  return { newest, since: newest ? new Date(Date.parse(newest.occurredAt) - marginMs) : null };
}

async function countRows(config: Config, source: Source, since: Date | null): Promise<Record<string, number>> {
  return withServiceDatabase(config, source.database, async (client) => {
    const { rows } = await client.query<{ aggregate_type: AggregateType; n: string }>(
      `SELECT aggregate_type, count(*)::text AS n FROM ${source.outboxTable} WHERE $1::timestamptz IS NULL OR occurred_at >= $1 GROUP BY aggregate_type`,
      [since],
    );
    return Object.fromEntries(rows.map((r) => [topicOf(r.aggregate_type), Number(r.n)]));
  });
}

/** The rows from `since` on, per aggregate in version order, as the outbox router would route them. */
async function republish(config: Config, source: Source, kafka: Kafka, since: Date | null, log: (line: string) => void): Promise<Record<string, number>> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const counts: Record<string, number> = {};
  try {
    await withServiceDatabase(config, source.database, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        // One sort for the whole set, read in pages: the set can be as large as the WAL bound allows.
        await client.query(
          `DECLARE republish NO SCROLL CURSOR FOR
             SELECT o.event_id::text, o.aggregate_type, o.aggregate_id, o.aggregate_version::text, o.event_type, o.payload, o.traceparent
               FROM ${source.outboxTable} o WHERE $1::timestamptz IS NULL OR o.occurred_at >= $1
              -- qualified: the bare name would sort by the text output column (1, 10, 2)
              ORDER BY o.aggregate_type, o.aggregate_id, o.aggregate_version`,
          [since],
        );
        for (;;) {
          const { rows } = await client.query<OutboxRow>(`FETCH ${PAGE_ROWS} FROM republish`);
          if (!rows.length) break;
          const byTopic = new Map<string, Message[]>();
          for (const row of rows) {
            const topic = topicOf(row.aggregate_type);
            const messages = byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!;
            // The outbox router's record: key = aggregate id (so the partition is the one Connect's
            // producer picks: murmur2 of the key), value = the payload bytes, the same headers.
            messages.push({
              key: row.aggregate_id,
              value: row.payload,
              // The router sends a null traceparent as the header without a value; kafkajs cannot
              // produce that, so it is left out, which every consumer reads the same way.
              headers: {
                id: row.event_id, eventId: row.event_id, eventType: row.event_type, aggregateVersion: row.aggregate_version,
                ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
              },
            });
            counts[topic] = (counts[topic] ?? 0) + 1;
          }
          // Awaited page by page, one request in flight: per partition the order is the rows' order.
          await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          log(`published again: ${Object.values(counts).reduce((a, b) => a + b, 0)} rows`);
        }
      } finally {
        await client.query('ROLLBACK');
      }
    });
  } finally {
    await producer.disconnect();
  }
  return counts;
}

/** Stops the connector (creating it stopped if it does not exist) and forgets its offsets. */
async function stopAndResetConnector(client: ConnectClient, source: Source, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const { name, config: settings } = source.connector;
  const problems = await client.validate(name, settings);
  if (problems.length) throw new ConnectorConfigInvalid(name, problems);
  if (await client.status(name)) {
    await client.createOrUpdate(name, settings);
    await client.stop(name);
  } else {
    await client.createStopped(name, settings);
  }
  await pollUntil(`connector ${name} to be STOPPED`, async () => ((await client.status(name))?.connector.state === 'STOPPED' ? true : undefined), { timeoutMs, intervalMs: 200 });
  await client.resetOffsets(name);
  log(`connector ${name} stopped and its offsets reset`);
}

/** Drops the old slot (once no walsender holds it) and creates the new one: returns its consistent point. */
async function recreateSlot(config: Config, source: Source, timeoutMs: number): Promise<string> {
  const slotName = source.slot;
  await pollUntil(
    `replication slot ${slotName} to be released by the stopped connector`,
    async () => ((await replicationSlotState(config, source))?.active ? undefined : true),
    { timeoutMs, intervalMs: 200 },
  );
  // The CDC role owns replication: creating and dropping the slot needs its REPLICATION attribute.
  // A logical slot belongs to the database it is created in: the source's.
  return withServiceDatabase(config, source.database, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
    if (rowCount) await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
    const { rows } = await client.query<{ lsn: string }>("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slotName]);
    return rows[0]!.lsn;
  }, { asCdcUser: true });
}

/** Recovers the named source's slot (see the top of this file); changes nothing when the slot is healthy. */
export async function recoverLostSlot(config: Config, sourceName: string, options: RecoveryOptions): Promise<RecoveryOutcome> {
  const { marginMs, dryRun = false, timeoutMs = 120_000, log = () => {} } = options;
  const source = sourceNamed(config, sourceName);
  const definition = source.connector;
  const slotName = source.slot;
  const [slot, unfinished] = await Promise.all([replicationSlotState(config, source), unfinishedRecovery(config, slotName)]);
  if (!unfinished && slot && slot.walStatus !== 'lost') {
    return { needed: false, source: source.name, slotName, reason: `replication slot ${slotName} is ${slot.walStatus ?? 'present'}: no event was lost; \`outflow connectors apply ${source.name}\` resumes streaming if the connector is not running` };
  }
  const cause: RecoveryReport['cause'] = unfinished ? 'interrupted' : slot ? 'lost' : 'missing';
  if (!(await publicationExists(config, source))) {
    throw new ConnectorNotRunning(definition.name, `not recovered: publication ${source.publication} does not exist in ${source.database}; the migration of the service that owns ${source.outboxTable} creates it (for command-api: \`outflow migrate\`)`);
  }
  const kafka = kafkaClient(config, 'recover');
  const client = new ConnectClient({ url: config.connect.url });

  if (dryRun) {
    const point = unfinished ? { newest: null, since: unfinished.since } : await startingPoint(config, source, kafka, marginMs);
    return {
      needed: true,
      source: source.name,
      connector: definition.name,
      slotName,
      cause,
      newestStreamed: point.newest,
      since: point.since?.toISOString() ?? null,
      republished: await countRows(config, source, point.since),
      slotLsn: null,
      dryRun: true,
      connectorState: (await client.status(definition.name))?.connector.state ?? null,
    };
  }

  await ensureEventTopics(config, log, source.topics);
  await stopAndResetConnector(client, source, timeoutMs, log);
  let newest: NewestStreamedEvent | null = null;
  let since: Date | null;
  if (unfinished) {
    since = unfinished.since;
    log(`resuming the recovery that did not finish: re-publishing from ${since?.toISOString() ?? 'the first outbox row'}`);
  } else {
    // Decided before the slot is touched, and recorded: a run cut short resumes from the same point.
    // Recorded in the write database for every source, keyed by the slot (streamContinuity.ts says why).
    ({ newest, since } = await startingPoint(config, source, kafka, marginMs));
    await withWriteDatabase(config, (db) => db.query('INSERT INTO write.outbox_republish (slot_name, since) VALUES ($1, $2)', [slotName, since]));
  }
  // A run cut short after creating the new slot keeps it: the connector has not streamed from it yet.
  const current = await replicationSlotState(config, source);
  const keep = cause === 'interrupted' && current !== undefined && current.walStatus !== 'lost';
  const slotLsn = keep ? current.confirmedFlushLsn : await recreateSlot(config, source, timeoutMs);
  log(`replication slot ${slotName} streams from ${slotLsn}`);
  const republished = await republish(config, source, kafka, since, log);
  await client.resume(definition.name);
  const status = await waitUntilRunning(client, definition.name, { timeoutMs, config: definition.config });
  await withWriteDatabase(config, (db) => db.query('DELETE FROM write.outbox_republish WHERE slot_name = $1', [slotName]));
  log(`connector ${definition.name} is ${describeStatus(status)}`);
  return {
    needed: true,
    source: source.name,
    connector: definition.name,
    slotName,
    cause,
    newestStreamed: newest,
    since: since?.toISOString() ?? null,
    republished,
    slotLsn,
    dryRun: false,
    connectorState: status.connector.state,
  };
}
