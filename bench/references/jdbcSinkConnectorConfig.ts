// The Debezium JDBC sink connector as the Postgres benchmark runs it, and the names of
// everything one run creates (topic, connector, its consumer group, table), so that creating
// and cleaning up agree.
//
// The config is what a reasonable operator would run for an upserting read-model copy: only
// the batch size is tuned. The sink flushes at the end of every put(), so a batch can never be
// larger than the consumer's poll; the default 500/500 leaves it issuing a flush (one JDBC
// batch and one commit) every 500 records. batch.size and max.poll.records are raised together.
// The two opt-in optimisations stay off by default, as in Debezium, because each changes what
// is compared: see `reduceByKey` and `unnestInsert`.
import type { Config } from '../../lib/config.ts';
import { ValidationFailed } from '../../lib/errors.ts';
import { CONNECT_SECRET_KEYS, DEBEZIUM_JDBC_SINK_CONNECTOR } from '../../infra/local/components/kafkaConnect.ts';
import type { ConnectorSettings } from '../../connectors/connectorConfig.ts';

export { DEBEZIUM_JDBC_SINK_CONNECTOR };

/** The schema of the read-model database the runs' tables go in (the projector role creates it). */
export const BENCH_SCHEMA = 'bench';

export const DEFAULT_BATCH_SIZE = 2000;

export interface JdbcSinkRunNames {
  runId: string;
  topic: string;
  connector: string;
  /** Connect names a sink connector's consumer group after the connector. */
  consumerGroup: string;
  schema: string;
  /** Unquoted, lower case: how the sink names it, and how Postgres folds it. */
  table: string;
  /** `schema.table`, what collection.name.format gets. */
  qualifiedTable: string;
}

const runIdPattern = /^[A-Za-z0-9_-]{1,48}$/;

export function jdbcSinkRunNames(runId: string): JdbcSinkRunNames {
  if (!runIdPattern.test(runId)) {
    throw new ValidationFailed([{ field: 'runId', message: 'must be 1 to 48 letters, digits, _ or - (it names a topic, a connector and a table)' }]);
  }
  const connector = `bench-jdbc-${runId}`;
  const table = `jdbc_${runId.toLowerCase().replace(/-/g, '_')}`;
  return {
    runId,
    topic: `bench.jdbc.${runId}`,
    connector,
    consumerGroup: `connect-${connector}`,
    schema: BENCH_SCHEMA,
    table,
    qualifiedTable: `${BENCH_SCHEMA}.${table}`,
  };
}

export interface JdbcSinkTuning {
  tasks: number;
  /** batch.size, and the consumer's max.poll.records with it. */
  batchSize: number;
  /**
   * use.reduction.buffer: within a batch, only the last record of each key is written. Fewer
   * statements, but no longer one write per event, which is what a projector does.
   */
  reduceByKey: boolean;
  /**
   * dialect.postgres.unnest.insert.enabled: one INSERT ... SELECT FROM unnest(...) per batch
   * instead of a JDBC batch of single-row statements. Postgres refuses such an upsert when a key
   * occurs twice in it ("ON CONFLICT DO UPDATE command cannot affect row a second time"), so
   * with keys that repeat within a batch it needs `reduceByKey`.
   */
  unnestInsert: boolean;
}

export function jdbcSinkConnectorConfig(config: Config, names: JdbcSinkRunNames, tuning: JdbcSinkTuning): ConnectorSettings {
  const pg = config.readModel.postgres;
  return Object.freeze({
    'connector.class': DEBEZIUM_JDBC_SINK_CONNECTOR,
    'tasks.max': String(tuning.tasks),
    topics: names.topic,
    // The worker's defaults are a String key and schemaless JSON (the outbox connector's);
    // the sink needs schemas to create and type the table.
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'true',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
    'connection.url': `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`,
    'connection.username': pg.user,
    // Resolved by Connect's FileConfigProvider on its own host, like the outbox connector's.
    'connection.password': `\${file:${config.connect.secretsFile}:${CONNECT_SECRET_KEYS.readModelPassword}}`,
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_key',
    'delete.enabled': 'false',
    'schema.evolution': 'basic',
    'collection.name.format': names.qualifiedTable,
    'batch.size': String(tuning.batchSize),
    'consumer.override.max.poll.records': String(tuning.batchSize),
    // The topic is filled before the connector exists: read it from its start.
    'consumer.override.auto.offset.reset': 'earliest',
    'use.reduction.buffer': String(tuning.reduceByKey),
    'dialect.postgres.unnest.insert.enabled': String(tuning.unnestInsert),
  });
}
