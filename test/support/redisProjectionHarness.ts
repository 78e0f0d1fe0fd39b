// Real Redis for projection specs: stores on random generations (so runs never share keys),
// truncated at teardown, and a raw dump of everything a generation holds.
import crypto from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Cluster } from 'ioredis';
import pg from 'pg';
import type { Test } from 'tap';
import { config } from '../../lib/config.ts';
import type { PartitionBatch } from '../../projectors/projection.ts';
import { openRedis, type RedisConnection } from '../../lib/redisConnection.ts';
import { RedisKeyLayout, scanKeys } from '../../projectors/stores/redisKeys.ts';
import { RedisProjectionStore, type AppliedBatch, type RedisProjectionDefinition } from '../../projectors/stores/redisStore.ts';
import { ensureStack } from './stack.ts';

export interface RedisProjectionHarness {
  /** One server or a cluster, as OUTFLOW_REDIS_LAYOUT says: the specs pass on both. */
  redis: RedisConnection;
  /** A store of `definition` on a fresh random generation (or the one given), truncated when the test ends. */
  freshStore(definition: RedisProjectionDefinition, generation?: number): { store: RedisProjectionStore; generation: number };
  /** Applies the batches in order, returning what each did. */
  applyAll(store: RedisProjectionStore, batches: readonly PartitionBatch[]): Promise<AppliedBatch[]>;
  /** SCRIPT FLUSH on the server, or on every primary of a cluster: the server forgets every script. */
  flushScripts(): Promise<void>;
  /** Every key of the generation (relative to its prefix) with its raw content, sorted. */
  dump(projection: string, generation: number): Promise<Record<string, unknown>>;
}

export function randomGeneration(): number {
  return crypto.randomInt(1_000_000, 2 ** 31);
}

export async function redisProjectionHarness(t: Test): Promise<RedisProjectionHarness> {
  await ensureStack('redis');
  const base = config();
  const redis = openRedis(base, { options: { maxRetriesPerRequest: 1 } });
  // The Redis store uses neither; they are real clients that never connect here.
  const elasticsearch = new ElasticsearchClient({ node: base.elasticsearch.url });
  const readPostgres = new pg.Pool({ ...base.readModel.postgres });
  const context = { config: { ...base, logLevel: 'silent' }, redis, elasticsearch, readPostgres };
  const stores: RedisProjectionStore[] = [];
  t.teardown(async () => {
    for (const store of stores) await store.truncate();
    await redis.quit();
    await elasticsearch.close();
    await readPostgres.end();
  });

  return {
    redis,
    freshStore(definition, generation = randomGeneration()) {
      const store = definition.createStore(context, generation);
      if (!(store instanceof RedisProjectionStore)) throw new Error(`${definition.name} is not a Redis projection`);
      stores.push(store);
      return { store, generation };
    },
    async applyAll(store, batches) {
      const results: AppliedBatch[] = [];
      for (const batch of batches) results.push(await store.applyBatch(batch));
      return results;
    },
    async flushScripts() {
      const servers = redis.isCluster ? (redis as Cluster).nodes('master') : [redis];
      for (const server of servers) await server.script('FLUSH');
    },
    async dump(projection, generation) {
      const layout = RedisKeyLayout.of(redis, projection);
      const out: Record<string, unknown> = {};
      for await (const keys of scanKeys(redis, layout.scanPattern(generation))) {
        for (const key of keys) {
          const relative = layout.relativeKeyOf(key, generation);
          // A bucket's own checkpoints (cluster layout) are the store's bookkeeping, not the read model.
          if (relative === undefined || layout.isBucketCheckpointsKey(key, generation)) continue;
          const type = await redis.type(key);
          if (type === 'hash') out[relative] = await redis.hgetall(key);
          else if (type === 'zset') out[relative] = await redis.zrange(key, 0, -1, 'WITHSCORES');
          else out[relative] = { unexpectedType: type };
        }
      }
      return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
    },
  };
}
