// Starts the query API process with connections to the read stores only: Redis,
// Elasticsearch and the read-model Postgres as the query role (SELECT only). It has no
// credentials for the write database and imports nothing that opens one.
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { createLogger } from '../lib/logger.ts';
import { postgresPool } from '../lib/postgresPool.ts';
import type { Config } from '../lib/config.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import type { ReadConnections } from './readModels.ts';
import { buildQueryApi } from './server.ts';

export function openReadConnections(config: Config): ReadConnections {
  const { host, port, database, queryUser, queryPassword } = config.readModel.postgres;
  return {
    // Few retries: a read that cannot reach Redis should fail fast, not queue for seconds.
    redis: new Redis(config.redis.url, { maxRetriesPerRequest: 2, connectionName: 'outflow-query-api' }),
    elasticsearch: new ElasticsearchClient({ node: config.elasticsearch.url, requestTimeout: 5_000 }),
    readPostgres: postgresPool({ host, port, database, user: queryUser, password: queryPassword, max: 20, application_name: 'outflow-query-api' }, createLogger('query-api', config.logLevel)),
  };
}

export async function closeReadConnections({ redis, elasticsearch, readPostgres }: ReadConnections): Promise<void> {
  await Promise.allSettled([redis.quit(), elasticsearch.close(), readPostgres.end()]);
}

export async function runQueryApi(config: Config): Promise<void> {
  const connections = openReadConnections(config);
  const app = await buildQueryApi({ config, ...connections });
  await app.listen({ host: config.queryApi.host, port: config.queryApi.port });
  onShutdown(
    (message) => app.log.info(message),
    () => app.close(),
    () => closeReadConnections(connections),
  );
}
