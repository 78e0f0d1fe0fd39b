// The connections stores use, opened once per process (worker or CLI) and closed with it.
// Redis connects lazily, so a worker whose projections live elsewhere never touches it.
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type pg from 'pg';
import { createLogger } from '../../lib/logger.ts';
import { postgresPool } from '../../lib/postgresPool.ts';
import { openRedis } from '../../lib/redisConnection.ts';
import type { Config } from '../../lib/config.ts';
import type { StoreConnections } from '../projection.ts';

export interface OpenStoreConnections {
  connections: StoreConnections;
  close(): Promise<void>;
}

export function openStoreConnections(config: Config): OpenStoreConnections {
  const redis = openRedis(config, { options: { lazyConnect: true } });
  const elasticsearch = new ElasticsearchClient({ node: config.elasticsearch.url });
  const { host, port, database, user, password } = config.readModel.postgres;
  const readPostgres = postgresPool({ host, port, database, user, password, max: 10, application_name: 'outflow-projector' }, createLogger('projector', config.logLevel));
  return {
    connections: { config, redis, elasticsearch, readPostgres },
    async close() {
      redis.disconnect();
      await elasticsearch.close();
      await readPostgres.end();
    },
  };
}
