// The clients a benchmark run measures through, opened once per run: HTTP pools to the two
// APIs (undici: keep-alive, pipelining off, enough sockets for the open-loop rates), the
// stores and Kafka directly for the references.
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import { Pool } from 'undici';
import type { Config } from '../lib/config.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';
import { postgresPool } from '../lib/postgresPool.ts';
import { openRedis, type RedisConnection } from '../lib/redisConnection.ts';

export interface BenchConnections {
  commandApi: Pool;
  queryApi: Pool;
  /** The write database as the owner: references insert here, verify reads here. */
  writePostgres: pg.Pool;
  /** The read-model database as the projector role. */
  readPostgres: pg.Pool;
  redis: RedisConnection;
  elasticsearch: ElasticsearchClient;
  kafka: Kafka;
  admin: Admin;
  close(): Promise<void>;
}

/** A keep-alive HTTP pool to one of the APIs, with enough sockets for the open-loop rates. */
export function benchHttpPool(host: string, port: number, connections = 256): Pool {
  return new Pool(`http://${host}:${port}`, { connections, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

export async function openBenchConnections(config: Config): Promise<BenchConnections> {
  // The reference pool has as many connections as the command API's own pool (command-api/main.ts).
  const http = (host: string, port: number) => benchHttpPool(host, port);
  const { host, port, user, password, writeDatabase } = config.postgres;
  const read = config.readModel.postgres;
  const kafka = kafkaClient(config, 'bench', { clientId: 'outflow-bench' });
  const admin = kafka.admin();
  await admin.connect();
  const connections: BenchConnections = {
    commandApi: http(config.commandApi.host, config.commandApi.port),
    queryApi: http(config.queryApi.host, config.queryApi.port),
    writePostgres: postgresPool({ host, port, user, password, database: writeDatabase, max: 20, application_name: 'outflow-bench' }),
    readPostgres: postgresPool({ host: read.host, port: read.port, user: read.user, password: read.password, database: read.database, max: 8, application_name: 'outflow-bench' }),
    redis: openRedis(config, { options: { connectionName: 'outflow-bench' } }),
    elasticsearch: new ElasticsearchClient({ node: config.elasticsearch.url, requestTimeout: 120_000 }),
    kafka,
    admin,
    async close() {
      await Promise.allSettled([
        connections.commandApi.close(),
        connections.queryApi.close(),
        connections.writePostgres.end(),
        connections.readPostgres.end(),
        connections.redis.quit(),
        connections.elasticsearch.close(),
        admin.disconnect(),
      ]);
    },
  };
  return connections;
}
