// A fingerprint of everything a user keeps in a running stack: each write and read table's row
// count and checksum, every topic's end offsets, the consumer groups, each Redis database's key
// count, each Elasticsearch index's document count and aliases, the registry's subjects and the
// connectors. `npm test` takes one of the user's stack before and after the suite; any
// difference means a test wrote where it must not.
//
// Left out on purpose, because the pipeline moves them while nobody uses it: the CDC heartbeat
// table and topic, Kafka Connect's own topics, the consumer-offsets topic.
import crypto from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../../lib/config.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';

export type StackDataFingerprint = Record<string, string>;

const IGNORED_TABLES = new Set(['write.cdc_heartbeat']);

function ignoredTopic(topic: string): boolean {
  return topic.startsWith('__') || topic.startsWith('_outflow-connect-');
}

async function postgresTables(part: string, connection: pg.ClientConfig, into: StackDataFingerprint): Promise<void> {
  const client = new pg.Client({ ...connection, application_name: 'outflow-test-fingerprint' });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
         FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1`,
    );
    for (const { name } of rows) {
      if (IGNORED_TABLES.has(name)) continue;
      const { rows: [summary] } = await client.query<{ count: string; checksum: string | null }>(
        `SELECT count(*)::text AS count, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS checksum FROM ${name} t`,
      );
      into[`${part} table ${name}`] = `${summary!.count} rows, md5 ${summary!.checksum ?? '-'}`;
    }
  } finally {
    await client.end();
  }
}

async function kafkaTopics(config: Config, into: StackDataFingerprint): Promise<void> {
  const kafka = kafkaClient(config, 'test-fingerprint', { clientId: 'outflow-test-fingerprint' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of (await admin.listTopics()).sort()) {
      if (ignoredTopic(topic)) continue;
      const offsets = await admin.fetchTopicOffsets(topic);
      into[`kafka topic ${topic}`] = offsets.sort((a, b) => a.partition - b.partition).map((o) => `${o.partition}:${o.high}`).join(' ');
    }
    const { groups } = await admin.listGroups();
    into['kafka consumer groups'] = groups.map((g) => g.groupId).sort().join(' ');
  } finally {
    await admin.disconnect();
  }
}

async function redisKeyspace(config: Config, into: StackDataFingerprint): Promise<void> {
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    // keys=N,expires=M,avg_ttl=... per database; the count is what a test run would change.
    const keyspace = await redis.info('keyspace');
    for (const line of keyspace.split('\n')) {
      const match = /^(db\d+):keys=(\d+)/.exec(line.trim());
      if (match) into[`redis ${match[1]}`] = `${match[2]} keys`;
    }
  } finally {
    redis.disconnect();
  }
}

async function elasticsearchIndices(config: Config, into: StackDataFingerprint): Promise<void> {
  const es = new ElasticsearchClient({ node: config.elasticsearch.url });
  try {
    const indices = await es.cat.indices({ format: 'json', h: ['index', 'docs.count'], expand_wildcards: 'open' });
    for (const { index, 'docs.count': count } of indices.sort((a, b) => String(a.index).localeCompare(String(b.index)))) {
      if (!index || index.startsWith('.')) continue;
      into[`elasticsearch index ${index}`] = `${count} documents`;
    }
    const aliases = await es.cat.aliases({ format: 'json', h: ['alias', 'index'] });
    into['elasticsearch aliases'] = aliases.filter((a) => !String(a.alias).startsWith('.')).map((a) => `${a.alias}->${a.index}`).sort().join(' ');
  } finally {
    await es.close();
  }
}

async function registrySubjects(config: Config, into: StackDataFingerprint): Promise<void> {
  const response = await fetch(`${config.registry.url}/subjects`, { signal: AbortSignal.timeout(10_000) });
  const subjects = (await response.json()) as string[];
  into['registry subjects'] = [...subjects].sort().join(' ');
}

async function connectors(config: Config, into: StackDataFingerprint): Promise<void> {
  const response = await fetch(`${config.connect.url}/connectors`, { signal: AbortSignal.timeout(10_000) });
  const names = (await response.json()) as string[];
  into['kafka connect connectors'] = [...names].sort().join(' ');
}

/** Reads the fingerprint of the stack `config` points at; every part of the stack must be up. */
export async function stackDataFingerprint(config: Config): Promise<StackDataFingerprint> {
  const fingerprint: StackDataFingerprint = {};
  const { postgres, readModel } = config;
  await postgresTables('write', { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.writeDatabase }, fingerprint);
  await postgresTables('read', { host: readModel.postgres.host, port: readModel.postgres.port, user: readModel.postgres.user, password: readModel.postgres.password, database: readModel.postgres.database }, fingerprint);
  await kafkaTopics(config, fingerprint);
  await redisKeyspace(config, fingerprint);
  await elasticsearchIndices(config, fingerprint);
  await registrySubjects(config, fingerprint);
  await connectors(config, fingerprint);
  return fingerprint;
}

/** One line per part that differs: what it was, what it is now. */
export function fingerprintDifferences(before: StackDataFingerprint, after: StackDataFingerprint): string[] {
  const parts = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return parts
    .filter((part) => before[part] !== after[part])
    .map((part) => `${part}: was ${before[part] ?? '(absent)'}, now ${after[part] ?? '(absent)'}`);
}

/** A short digest of a whole fingerprint, for a log line. */
export function fingerprintDigest(fingerprint: StackDataFingerprint): string {
  return crypto.createHash('sha256').update(JSON.stringify(Object.entries(fingerprint).sort())).digest('hex').slice(0, 12);
}
