// The reference for "projector throughput per worker, Postgres": Debezium's JDBC sink
// connector writing a copy of the same events into the read-model Postgres, on the same
// machine, in the same run. One call is one run, and leaves nothing behind:
//   1. a fresh topic bench.jdbc.<runId>, filled with the rows as Connect JSON with schemas;
//   2. a JDBC sink connector (upsert by record key, table auto-created in schema `bench`)
//      created over Connect's REST API, with tasks.max = 1 to compare with one worker;
//   3. timed from its creation until every record is applied (jdbcSinkCompletion.ts);
//   4. the connector, its consumer group, the topic and the table deleted, also on failure.
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { ConnectClient } from '../../connectors/connectClient.ts';
import type { Config } from '../../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorPluginMissing, ValidationFailed } from '../../lib/errors.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { validateFields, type JdbcSinkField, type JdbcSinkRow } from './connectJsonRecords.ts';
import { awaitSinkCompletion } from './jdbcSinkCompletion.ts';
import { DEBEZIUM_JDBC_SINK_CONNECTOR, DEFAULT_BATCH_SIZE, jdbcSinkConnectorConfig, jdbcSinkRunNames, type JdbcSinkRunNames } from './jdbcSinkConnectorConfig.ts';
import { loadTopic } from './jdbcSinkTopicLoad.ts';

export type { JdbcSinkField, JdbcSinkRow } from './connectJsonRecords.ts';

export interface JdbcSinkMeasurement {
  /** Records the connector consumed. */
  events: number;
  /** Rows in the table at the end: one per distinct key. */
  rows: number;
  /**
   * From the first row visible to every record applied: the steady drain, start-up excluded.
   * The first batch is already written when it starts, so it leaves out up to batch.size
   * records' work (at most 1% of 200,000 events with batch.size 2000).
   */
  seconds: number;
  /** From the connector's creation to every record applied. */
  secondsWithStartup: number;
  /** events / seconds. */
  eventsPerSecond: number;
  /** events / secondsWithStartup. */
  eventsPerSecondWithStartup: number;
  /** From the connector's creation to its first row visible: task start, table creation, first batch. */
  startupSeconds: number;
  /** From the connector's creation to Connect's commit of every end offset (lags "applied" by up to one commit interval). */
  committedSeconds: number;
  /** How long filling the topic took (not part of any figure above). */
  loadSeconds: number;
  connectorVersion: string;
  tasks: number;
  batchSize: number;
  /** The config the connector ran with; the password is a reference Connect resolves on its host. */
  connectorConfig: Readonly<Record<string, string>>;
}

export interface MeasureJdbcSinkOptions {
  config: Config;
  /** Names the topic, connector, consumer group and table; 1 to 48 of [A-Za-z0-9_-]. */
  runId: string;
  rows: AsyncIterable<JdbcSinkRow[]> | Iterable<JdbcSinkRow[]>;
  fields: readonly JdbcSinkField[];
  /** Partitions of the topic; default 12, as the events topics. */
  partitions?: number;
  /** tasks.max; default 1, to compare with one projector worker. */
  tasks?: number;
  /** batch.size and the consumer's max.poll.records; default 2000 (see jdbcSinkConnectorConfig.ts). */
  batchSize?: number;
  /** use.reduction.buffer; default false, as in Debezium (see jdbcSinkConnectorConfig.ts). */
  reduceByKey?: boolean;
  /** dialect.postgres.unnest.insert.enabled; default false, as in Debezium. Needs reduceByKey when keys repeat within a batch. */
  unnestInsert?: boolean;
  /** How long the connector may take to apply everything; default 15 minutes. */
  timeoutMs?: number;
  /** Records whose offsets Connect has committed, of all; called on every poll while the sink drains. */
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const RESTART_CONNECT = 'Connect loads plugin.path only when it starts: restart it with `npx outflow stack down kafka-connect && npx outflow stack up` (which also fetches the plugin if infra/local/pom.xml changed).';

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ValidationFailed([{ field: name, message: 'must be a positive integer' }]);
  return value;
}

/** Debezium's JDBC sink as Connect lists it, or ConnectorPluginMissing. */
async function jdbcSinkPluginVersion(client: ConnectClient): Promise<string> {
  const plugin = (await client.plugins()).find((p) => p.class === DEBEZIUM_JDBC_SINK_CONNECTOR);
  if (!plugin) throw new ConnectorPluginMissing(DEBEZIUM_JDBC_SINK_CONNECTOR, client.url, RESTART_CONNECT);
  return plugin.version;
}

export async function measureJdbcSink(options: MeasureJdbcSinkOptions): Promise<JdbcSinkMeasurement> {
  const { config, rows, fields, onProgress, signal, log = () => {} } = options;
  const names = jdbcSinkRunNames(options.runId);
  const partitions = positiveInt('partitions', options.partitions ?? 12);
  const tasks = positiveInt('tasks', options.tasks ?? 1);
  const batchSize = positiveInt('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs ?? 15 * 60_000);
  validateFields(fields);

  // Checked before anything is created: a worker started before the plugin was fetched lacks it.
  const client = new ConnectClient({ url: config.connect.url });
  const connectorVersion = await jdbcSinkPluginVersion(client);
  const settings = jdbcSinkConnectorConfig(config, names, {
    tasks,
    batchSize,
    reduceByKey: options.reduceByKey ?? false,
    unnestInsert: options.unnestInsert ?? false,
  });

  const kafka = kafkaClient(config, 'bench-jdbc');
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const rm = config.readModel.postgres;
  const db = new pg.Client({ host: rm.host, port: rm.port, database: rm.database, user: rm.user, password: rm.password, application_name: `outflow-bench-jdbc-${names.runId}` });
  const created = { topic: false, connector: false };

  let measurement: JdbcSinkMeasurement;
  let leftBehind: unknown[];
  try {
    await Promise.all([admin.connect(), producer.connect(), db.connect()]);
    // The projector role may create schemas in the read database (CREATE on it); the sink creates the table.
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(names.schema)}`);
    const fresh = await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.topic, numPartitions: partitions, replicationFactor: 1 }] });
    if (!fresh) throw new ValidationFailed([{ field: 'runId', message: `topic ${names.topic} exists already: each run needs a runId of its own` }]);
    created.topic = true;

    const load = await loadTopic({ producer, topic: names.topic, partitions, rows, fields, signal, log });
    const endOffsets = new Map((await admin.fetchTopicOffsets(names.topic)).map((p) => [p.partition, BigInt(p.high)]));

    const problems = await client.validate(names.connector, settings);
    if (problems.length) throw new ConnectorConfigInvalid(names.connector, problems);
    signal?.throwIfAborted();

    const createdAt = performance.now();
    // Marked first: a PUT whose answer is lost may still have created it.
    created.connector = true;
    await client.createOrUpdate(names.connector, settings);
    log(`created connector ${names.connector} (Debezium JDBC sink ${connectorVersion}, tasks.max ${tasks}, batch.size ${batchSize})`);

    const times = await awaitSinkCompletion({ client, admin, db, names, load, fields, endOffsets, createdAt, timeoutMs, signal, onProgress });
    const seconds = (times.appliedMs - times.firstRowMs) / 1000;
    const secondsWithStartup = times.appliedMs / 1000;
    measurement = {
      events: load.events,
      rows: load.distinctKeys,
      seconds,
      secondsWithStartup,
      eventsPerSecond: seconds > 0 ? load.events / seconds : Number.POSITIVE_INFINITY,
      eventsPerSecondWithStartup: load.events / secondsWithStartup,
      startupSeconds: times.firstRowMs / 1000,
      committedSeconds: times.committedMs / 1000,
      loadSeconds: load.seconds,
      connectorVersion,
      tasks,
      batchSize,
      connectorConfig: withoutSecretLocations(settings),
    };
  } finally {
    leftBehind = await cleanUp({ client, admin, db, names, created, log });
    await Promise.allSettled([producer.disconnect(), admin.disconnect(), db.end()]);
  }
  // Reached only when the run succeeded; a failed run's own error has already won. A measurement
  // that leaves a connector or topic behind must not look clean.
  if (leftBehind.length) throw leftBehind[0];
  log(`removed connector ${names.connector}, its consumer group, topic ${names.topic} and table ${names.qualifiedTable}`);
  return measurement;
}

// Kafka's error code for a group that has no committed offsets and no members: nothing to delete.
const GROUP_ID_NOT_FOUND = 69;

/** Deletes what the run created, each step on its own so one failure does not skip the rest; returns the failures, each logged. */
async function cleanUp({ client, admin, db, names, created, log }: {
  client: ConnectClient;
  admin: Admin;
  db: pg.Client;
  names: JdbcSinkRunNames;
  created: { topic: boolean; connector: boolean };
  log: (line: string) => void;
}): Promise<unknown[]> {
  const failures: unknown[] = [];
  const step = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (error) {
      failures.push(error);
      log(`cleanup: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  if (created.connector) {
    await step(`deleting connector ${names.connector}`, async () => {
      if (await client.status(names.connector)) await client.delete(names.connector);
      await pollUntil(`connector ${names.connector} to be gone`, async () => ((await client.status(names.connector)) ? undefined : true), { timeoutMs: 30_000 });
    });
    // Its tasks leave the group as they stop; until then the group is not empty and cannot be deleted.
    await step(`deleting consumer group ${names.consumerGroup}`, () =>
      pollUntil(`consumer group ${names.consumerGroup} to be deletable`, async () => {
        const [result] = await admin.deleteGroups([names.consumerGroup]).catch((error: unknown) => {
          const groups = (error as { groups?: { errorCode?: number }[] }).groups;
          if (groups?.every((g) => g.errorCode === GROUP_ID_NOT_FOUND)) return [{ groupId: names.consumerGroup }];
          throw error;
        });
        return result;
      }, { timeoutMs: 30_000, intervalMs: 500 }),
    );
  }
  if (created.topic) await step(`deleting topic ${names.topic}`, () => admin.deleteTopics({ topics: [names.topic] }));
  // The sink creates the table only once its task runs; IF EXISTS covers a run that failed before.
  await step(`dropping table ${names.qualifiedTable}`, () => db.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(names.schema)}.${pg.escapeIdentifier(names.table)}`));
  return failures;
}

/**
 * The connector's settings as the report keeps them: a password is a file config provider
 * reference naming where this machine keeps its secrets, which says nothing about the run.
 */
function withoutSecretLocations(settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, /password/i.test(key) ? '(from the file config provider)' : value]));
}
