// Kafka, one node in KRaft combined mode (broker + controller), from the Maven
// Central jars. Storage is formatted once; the cluster id is kept with the data.
import fs from 'node:fs';
import path from 'node:path';
import { StackComponentError } from '../../../lib/errors.ts';
import { runCommand, spawnDetached, stopProcess } from '../processControl.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';
import { javaBinary, writeLog4j2Config, writeProperties } from './jvmProcess.ts';
import { kafkaClient } from '../../../lib/kafkaClient.ts';

export function kafkaLibDir({ layout, versions }: ComponentContext): string {
  return path.join(layout.dist, `kafka-${versions.kafka}`, 'lib');
}

export function kafkaComponent(context: ComponentContext): StackComponent {
  const { config, layout, versions } = context;
  const dataDir = layout.data('kafka');
  const configDir = layout.configDir('kafka');
  const propertiesFile = path.join(configDir, 'server.properties');
  const logFile = layout.logFile('kafka');
  const classpath = path.join(kafkaLibDir(context), '*');
  const host = config.stack.host;
  const { port, controllerPort } = config.kafka;

  return {
    name: 'kafka',
    version: versions.kafka,
    port,
    dataDir,
    logFile,
    pidFile: layout.pidFile('kafka'),

    async prepare() {
      fs.mkdirSync(dataDir, { recursive: true });
      writeProperties(propertiesFile, {
        'process.roles': 'broker,controller',
        'node.id': 1,
        'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`,
        listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://${host}:${port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs': dataDir,
        'num.partitions': 1,
        'default.replication.factor': 1,
        'min.insync.replicas': 1,
        'offsets.topic.replication.factor': 1,
        'offsets.topic.num.partitions': 10,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'share.coordinator.state.topic.replication.factor': 1,
        'share.coordinator.state.topic.min.isr': 1,
        // Event topics are the replayable log: the connector creates them with
        // retention -1; this only keeps the broker's own default sane.
        'log.retention.hours': 168,
        'group.initial.rebalance.delay.ms': 0,
        // Topics are created on purpose (event topics by `outflow connectors apply`, with
        // their partition count and retention), never as a side effect of a metadata request.
        'auto.create.topics.enable': 'false',
      });
      writeLog4j2Config(configDir, { 'kafka.request.logger': 'warn', 'org.apache.kafka.controller': 'warn', 'state.change.logger': 'warn' });

      if (fs.existsSync(path.join(dataDir, 'meta.properties'))) return;
      const clusterIdFile = path.join(layout.data('kafka-cluster'), 'cluster-id');
      let clusterId = fs.existsSync(clusterIdFile) ? fs.readFileSync(clusterIdFile, 'utf8').trim() : '';
      if (!clusterId) {
        const generated = await runCommand(javaBinary(), ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']);
        clusterId = generated.stdout.trim().split('\n').pop() ?? '';
        if (generated.code !== 0 || !clusterId) {
          throw new StackComponentError('kafka', 'could not generate a cluster id', { logTail: generated.stderr });
        }
        fs.mkdirSync(path.dirname(clusterIdFile), { recursive: true });
        fs.writeFileSync(clusterIdFile, `${clusterId}\n`);
      }
      const format = await runCommand(javaBinary(), [
        `-Dlog4j2.configurationFile=${path.join(configDir, 'log4j2.properties')}`,
        '-cp', classpath, 'kafka.tools.StorageTool',
        'format', '--cluster-id', clusterId, '--config', propertiesFile, '--standalone', '--ignore-formatted',
      ]);
      if (format.code !== 0) {
        throw new StackComponentError('kafka', 'formatting the KRaft storage failed', { logTail: `${format.stdout}\n${format.stderr}` });
      }
    },

    async start() {
      return spawnDetached({
        command: javaBinary(),
        args: [
          '-Xms512m', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${path.join(configDir, 'log4j2.properties')}`,
          `-Dkafka.logs.dir=${layout.logsDir}`,
          '-cp', classpath, 'kafka.Kafka', propertiesFile,
        ],
        logFile,
      });
    },

    async probe() {
      const kafka = kafkaClient(config, 'stack-probe', { clientId: 'outflow-stack-probe', retry: { retries: 0 }, connectionTimeoutMs: 2000 });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        return `brokers=${cluster.brokers.length} controller=${cluster.controller}`;
      } finally {
        await admin.disconnect();
      }
    },

    stop: (pid) => stopProcess(pid, { signal: 'SIGTERM', graceMs: 30_000 }),
  };
}
