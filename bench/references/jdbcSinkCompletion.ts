// Watches a JDBC sink connector drain its topic and says when each stage was reached:
//   first row    the table exists and holds a row: the task has started and written a batch
//   applied      the table holds one row per distinct key, and the last record of every
//                partition is visible with its exact values; the sink applies a partition's
//                records in order, so everything before them is applied too
//   committed    the connector's consumer group has committed the end offset of every
//                partition: Connect's own word that every record was put() and flushed
// The run is done when both "applied" and "committed" hold. "Committed" is what proves it,
// but Connect commits a sink's offsets only every offset.flush.interval.ms (1 s on the local
// stack), so the time is taken at "applied", which is when a reader of the table sees the result.
// That inference needs the last record of each key to differ from its earlier ones (a version
// field does it, as in the trial); if it did not, "applied" could be seen early.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { describeStatus, failureTrace, isFailed, isRunning } from '../../connectors/applyConnector.ts';
import type { ConnectClient } from '../../connectors/connectClient.ts';
import { ConnectorNotRunning, DeadlineExceeded, ReferenceOutputMismatch } from '../../lib/errors.ts';
import { KEY_COLUMN, type JdbcSinkField, type JdbcSinkValue } from './connectJsonRecords.ts';
import type { JdbcSinkRunNames } from './jdbcSinkConnectorConfig.ts';
import type { TopicLoad } from './jdbcSinkTopicLoad.ts';

/** Milliseconds since the connector was created. */
export interface CompletionTimes {
  taskRunningMs: number | undefined;
  firstRowMs: number;
  appliedMs: number;
  committedMs: number;
}

export interface CompletionOptions {
  client: ConnectClient;
  admin: Admin;
  db: pg.Client;
  names: JdbcSinkRunNames;
  load: TopicLoad;
  fields: readonly JdbcSinkField[];
  /** Each partition's end offset after loading. */
  endOffsets: ReadonlyMap<number, bigint>;
  /** performance.now() when the connector was created. */
  createdAt: number;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

// Fine polling until the first row, so start-up is resolved to about a tenth of a second;
// coarser after, where a poll (a count over at most the run's rows) competes with the sink
// for the same two cores.
const STARTUP_POLL_MS = 100;
const DRAIN_POLL_MS = 250;

function normalise(value: JdbcSinkValue | undefined): string | null {
  // pg returns bigint columns as strings; compare every type by its text.
  return value === null || value === undefined ? null : String(value);
}

export async function awaitSinkCompletion(options: CompletionOptions): Promise<CompletionTimes> {
  const { client, admin, db, names, load, fields, endOffsets, createdAt, timeoutMs, signal, onProgress } = options;
  const table = `${pg.escapeIdentifier(names.schema)}.${pg.escapeIdentifier(names.table)}`;
  const columns = [KEY_COLUMN, ...fields.map((f) => f.name)];
  const expectedLast = [...load.lastByPartition.values()];
  const since = () => performance.now() - createdAt;
  const deadline = createdAt + timeoutMs;

  let taskRunningMs: number | undefined;
  let firstRowMs: number | undefined;
  let appliedMs: number | undefined;
  let committedMs: number | undefined;
  let rowCount = 0;
  let committed = 0n;

  /** Why the table does not yet show every record; undefined once it does. */
  const notYetApplied = async (): Promise<string | undefined> => {
    const { rows } = await db.query<{ count: string }>(`SELECT count(*) AS count FROM ${table}`);
    rowCount = Number(rows[0]?.count ?? 0);
    if (rowCount !== load.distinctKeys) return `${rowCount} rows for ${load.distinctKeys} distinct keys`;
    const found = await db.query<Record<string, JdbcSinkValue>>(
      `SELECT ${columns.map((c) => pg.escapeIdentifier(c)).join(', ')} FROM ${table} WHERE ${pg.escapeIdentifier(KEY_COLUMN)} = ANY($1)`,
      [expectedLast.map((row) => row.key)],
    );
    const byKey = new Map(found.rows.map((row) => [String(row[KEY_COLUMN]), row]));
    for (const expected of expectedLast) {
      const actual = byKey.get(expected.key);
      if (!actual) return `no row for ${expected.key}, the last record of its partition`;
      const differing = fields.find((f) => normalise(actual[f.name]) !== normalise(expected.value[f.name]));
      if (differing) {
        return `${expected.key}.${differing.name} is ${JSON.stringify(actual[differing.name])}, its last record says ${JSON.stringify(expected.value[differing.name] ?? null)}`;
      }
    }
    return undefined;
  };

  const tableHasRows = async (): Promise<boolean> => {
    const exists = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
    if (!exists.rows[0]?.present) return false;
    const { rows } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table}) AS any`);
    return rows[0]?.any ?? false;
  };

  /** True once every partition's committed offset is its end offset. */
  const offsetsAtEnd = async (): Promise<boolean> => {
    const [topic] = await admin.fetchOffsets({ groupId: names.consumerGroup, topics: [names.topic] });
    let atEnd = true;
    committed = 0n;
    for (const [partition, end] of endOffsets) {
      const entry = topic?.partitions.find((p) => p.partition === partition);
      // -1: nothing committed yet for the partition.
      const offset = entry && entry.offset !== '-1' ? BigInt(entry.offset) : 0n;
      committed += offset;
      if (offset < end) atEnd = false;
    }
    onProgress?.(Number(committed), load.events);
    return atEnd;
  };

  for (;;) {
    signal?.throwIfAborted();
    const status = await client.status(names.connector);
    if (status && isFailed(status)) throw new ConnectorNotRunning(names.connector, describeStatus(status), failureTrace(status));
    if (status && taskRunningMs === undefined && isRunning(status)) taskRunningMs = since();

    if (firstRowMs === undefined && (await tableHasRows())) firstRowMs = since();
    if (firstRowMs !== undefined && appliedMs === undefined && (await notYetApplied()) === undefined) appliedMs = since();
    if (committedMs === undefined && (await offsetsAtEnd())) committedMs = since();

    if (committedMs !== undefined) {
      // Every offset is committed, so every record is in the table: the check must pass now.
      const missing = appliedMs === undefined ? await notYetApplied() : undefined;
      if (missing !== undefined) throw new ReferenceOutputMismatch(`JDBC sink connector ${names.connector}`, `every offset is committed, but ${missing}`);
      appliedMs ??= committedMs;
      firstRowMs ??= appliedMs;
      return { taskRunningMs, firstRowMs, appliedMs, committedMs };
    }

    if (performance.now() >= deadline) {
      const state = `${committed} of ${load.events} offsets committed, ${rowCount} of ${load.distinctKeys} rows, connector ${status ? describeStatus(status) : 'not found'}`;
      throw new DeadlineExceeded(`JDBC sink connector ${names.connector} to apply ${names.topic} (${state})`, timeoutMs);
    }
    await sleep(firstRowMs === undefined ? STARTUP_POLL_MS : DRAIN_POLL_MS, undefined, { signal });
  }
}
