// Kafka Connect, one distributed worker, with the Debezium Postgres connector on
// its plugin path, and beside it Debezium's JDBC sink (the reference the Postgres
// benchmark measures our projector against). Connectors are registered later over
// its REST API.
import fs from 'node:fs';
import path from 'node:path';
import { spawnDetached, stopProcess } from '../processControl.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';
import { javaBinary, writeLog4j2Config, writeProperties, writeSecretsFile } from './jvmProcess.ts';
import { kafkaLibDir } from './kafka.ts';

export const DEBEZIUM_POSTGRES_CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector';
export const DEBEZIUM_JDBC_SINK_CONNECTOR = 'io.debezium.connector.jdbc.JdbcSinkConnector';

/** The keys of the Connect host's secrets file that connector configs name as ${file:<file>:<key>}. */
export const CONNECT_SECRET_KEYS = Object.freeze({ cdcPassword: 'cdc.password', readModelPassword: 'read.password' });

export function kafkaConnectComponent(context: ComponentContext): StackComponent {
  const { config, layout, versions } = context;
  const dataDir = layout.data('kafka-connect');
  const configDir = layout.configDir('kafka-connect');
  const propertiesFile = path.join(configDir, 'connect-distributed.properties');
  const logFile = layout.logFile('kafka-connect');
  const pluginPath = path.join(layout.dist, `connect-plugins-${versions.debezium}`);

  return {
    name: 'kafka-connect',
    version: `${versions.kafka} + debezium ${versions.debezium} (jdbc sink ${versions.debeziumJdbc})`,
    port: config.connect.port,
    dataDir,
    logFile,
    pidFile: layout.pidFile('kafka-connect'),

    async prepare() {
      fs.mkdirSync(dataDir, { recursive: true });
      writeProperties(propertiesFile, {
        'bootstrap.servers': config.kafka.brokers.join(','),
        'group.id': 'outflow-connect',
        'config.storage.topic': '_outflow-connect-configs',
        'offset.storage.topic': '_outflow-connect-offsets',
        'status.storage.topic': '_outflow-connect-status',
        'config.storage.replication.factor': 1,
        'offset.storage.replication.factor': 1,
        'status.storage.replication.factor': 1,
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
        listeners: `http://${config.stack.host}:${config.connect.port}`,
        'rest.advertised.host.name': config.stack.host,
        'rest.advertised.port': config.connect.port,
        'plugin.path': pluginPath,
        // How often source offsets (and with them the replication slot's confirmed LSN) are flushed.
        // `outflow verify` and `outflow outbox prune` wait on that LSN, so keep it short; one
        // small write to the offsets topic per second costs nothing measurable.
        'offset.flush.interval.ms': 1000,
        // Lets a connector tune its own producer (linger, acks) for latency.
        'connector.client.config.override.policy': 'All',
        'topic.creation.enable': 'true',
        'scheduled.rebalance.max.delay.ms': 0,
        // Connector configs refer to secrets as ${file:<path>:<key>}; Connect reads them here.
        'config.providers': 'file',
        'config.providers.file.class': 'org.apache.kafka.common.config.provider.FileConfigProvider',
      });
      writeSecretsFile(config.connect.secretsFile, {
        [CONNECT_SECRET_KEYS.cdcPassword]: config.postgres.cdcPassword,
        // The projector role's, for the benchmark's JDBC sink writing into the read-model server.
        [CONNECT_SECRET_KEYS.readModelPassword]: config.readModel.postgres.password,
      });
      writeLog4j2Config(configDir, { 'org.reflections': 'error', 'org.apache.kafka.clients': 'warn' });
    },

    async start() {
      return spawnDetached({
        command: javaBinary(),
        args: [
          '-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${path.join(configDir, 'log4j2.properties')}`,
          '-cp', path.join(kafkaLibDir(context), '*'),
          'org.apache.kafka.connect.cli.ConnectDistributed', propertiesFile,
        ],
        logFile,
      });
    },

    async probe() {
      const root = await fetch(`${config.connect.url}/`, { signal: AbortSignal.timeout(3000) });
      if (!root.ok) throw new Error(`GET / answered ${root.status}`);
      const { version } = (await root.json()) as { version: string };
      const plugins = await fetch(`${config.connect.url}/connector-plugins`, { signal: AbortSignal.timeout(3000) });
      const list = (await plugins.json()) as { class: string; version: string }[];
      const debezium = list.find((p) => p.class === DEBEZIUM_POSTGRES_CONNECTOR);
      if (!debezium) throw new Error(`connector plugins do not include ${DEBEZIUM_POSTGRES_CONNECTOR}`);
      // Only the benchmark needs the JDBC sink, so its absence (a worker started before the pom
      // added it) is reported, not unhealthy: Connect scans plugin.path only when it starts.
      const jdbcSink = list.find((p) => p.class === DEBEZIUM_JDBC_SINK_CONNECTOR);
      const sink = jdbcSink ? `jdbc sink ${jdbcSink.version}` : 'no jdbc sink (restart kafka-connect to load it)';
      return `connect ${version}, debezium ${debezium.version}, ${sink}`;
    },

    stop: (pid) => stopProcess(pid, { signal: 'SIGTERM', graceMs: 30_000 }),
  };
}
