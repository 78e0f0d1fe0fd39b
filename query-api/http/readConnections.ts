// The query API's connections to the read stores, which every read route answers from; none of
// them reaches the write database.
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import type pg from 'pg';

export interface ReadConnections {
  /** One Redis server or a Redis Cluster (OUTFLOW_REDIS_LAYOUT). */
  redis: RedisConnection;
  elasticsearch: ElasticsearchClient;
  /** The read-model Postgres as the query role (SELECT only). */
  readPostgres: pg.Pool;
}
