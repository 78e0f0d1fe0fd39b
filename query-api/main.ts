// Starts the query API process with connections to the read stores only: Redis,
// Elasticsearch and the read-model Postgres as the query role (SELECT only). It has no
// credentials for the write database and imports nothing that opens one.
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type pg from 'pg';
import { createLogger } from '../lib/logger.ts';
import { apiPoolTimeouts, postgresPool } from '../lib/postgresPool.ts';
import { coalesceWritesPerTurn } from '../lib/redisWriteCoalescing.ts';
import type { Config } from '../lib/config.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import { startTracing } from '../lib/tracing.ts';
import type { ReadConnections } from './http/readConnections.ts';
import { buildQueryApi } from './server.ts';
import { openRedis } from '../lib/redisConnection.ts';

export function openReadConnections(config: Config): ReadConnections {
  const { host, port, database, queryUser, queryPassword } = config.readModel.postgres;
  const { timeouts } = config;
  return {
    // A read that cannot reach Redis fails fast (503), it does not queue for seconds. The
    // offline queue stays on, so reads sent while the first connection opens are served, but
    // is bounded: a queued command waits at most commandTimeout, and is failed after
    // maxRetriesPerRequest reconnection attempts, so it neither hangs nor piles up.
    // Not enableAutoPipelining, although it halved Redis's CPU per lookup under 64 concurrent
    // clients: when Redis goes away, ioredis 5.11 calls a failed auto-pipeline back without
    // results and throws from its own callback, which ends the process. The lookups of a turn
    // still leave in one socket write (redisWriteCoalescing.ts).
    redis: coalesceWritesPerTurn(
      openRedis(config, {
        options: { maxRetriesPerRequest: 2, commandTimeout: timeouts.redisCommandMs, connectionName: 'outflow-query-api' },
        readFromReplicas: config.redis.readFrom === 'replica',
      }),
    ),
    elasticsearch: new ElasticsearchClient({
      node: config.elasticsearch.url,
      requestTimeout: timeouts.elasticsearch.requestMs,
      maxRetries: timeouts.elasticsearch.maxRetries,
    }),
    readPostgres: postgresPool(
      { host, port, database, user: queryUser, password: queryPassword, max: 20, application_name: 'outflow-query-api', ...apiPoolTimeouts(timeouts.postgres) },
      createLogger('query-api', config.logLevel),
    ),
  };
}

export async function closeReadConnections({ redis, elasticsearch, readPostgres }: ReadConnections): Promise<void> {
  await Promise.allSettled([redis.quit(), elasticsearch.close(), readPostgres.end()]);
}

export async function runQueryApi(config: Config): Promise<void> {
  const stopTracing = await startTracing(config.tracing, 'outflow-query-api');
  const connections = openReadConnections(config);
  const app = await buildQueryApi({ config, ...connections });
  await app.listen({ host: config.queryApi.host, port: config.queryApi.port });
  onShutdown(
    (message) => app.log.info(message),
    () => app.close(),
    () => closeReadConnections(connections),
    stopTracing,
  );
}
