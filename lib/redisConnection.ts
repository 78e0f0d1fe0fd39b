// Opens the read models' Redis connection the configuration names: one server, or a Redis
// Cluster (ioredis follows its slot map, MOVED and failovers). The rest of the code takes
// either and lets the key layout (projectors/stores/redisKeys.ts) follow from which it got.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';

/** A connection to one Redis server or to a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

const SLOTS_REFRESH_MS = 5_000;

export interface RedisConnectionOptions {
  /** Per-connection options (timeouts, retries, a connection name); on a cluster, every node's. */
  options?: RedisOptions;
  /** Send read-only commands (the read scripts) to replicas, when the layout is a cluster. */
  readFromReplicas?: boolean;
}

export function openRedis(config: Config, { options = {}, readFromReplicas = false }: RedisConnectionOptions = {}): RedisConnection {
  if (config.redis.layout === 'single') return new Redis(config.redis.url, options);
  const { lazyConnect, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions,
    scaleReads: readFromReplicas ? 'slave' : 'master',
    // ioredis learns the slot map at connect and after a MOVED, which it answers by sending that
    // slot to the primary alone; a periodic refresh brings back its replicas, and any added since.
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
  };
  return new Cluster(config.redis.clusterNodes, clusterOptions);
}

/** A second connection like `redis` (another socket, or sockets, of its own) under another name. */
export function duplicateRedis(redis: RedisConnection, connectionName: string, options: { enableAutoPipelining?: boolean } = {}): RedisConnection {
  if (!redis.isCluster) return (redis as Redis).duplicate({ connectionName, ...options });
  const cluster = redis as Cluster;
  return cluster.duplicate(undefined, { ...cluster.options, ...options, redisOptions: { ...cluster.options.redisOptions, connectionName } });
}
