// The "store's own bulk path" references: the final documents our projector produced, read back
// from its generation, then timed while written again the fastest plain way each store offers,
// into a private copy: Redis pipelines (1,000 commands per round trip), Elasticsearch `_bulk`
// (5,000 documents per request), Postgres multi-row INSERTs (5,000 rows per statement). No
// events, no checkpoints, no idempotency: the ceiling for writing that much final state.
import type { Client as ElasticsearchClient, estypes } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import pg from 'pg';
import { redisGenerationPrefix, redisPrefixPattern, scanKeys } from '../../projectors/stores/redisKeys.ts';

export interface BulkWriteFigures {
  documents: number;
  seconds: number;
  documentsPerSecond: number;
}

const figures = (documents: number, started: number): BulkWriteFigures => {
  const seconds = (performance.now() - started) / 1000;
  return { documents, seconds: Math.round(seconds * 1000) / 1000, documentsPerSecond: Math.round(documents / seconds) };
};

/** Hashes and sorted sets of one Redis generation (checkpoints and source times excluded), written again under `targetPrefix`. */
export async function redisBulkRewrite(connection: RedisConnection, projection: string, generation: number, targetPrefix: string): Promise<BulkWriteFigures> {
  // Its pipelines of 1,000 keys span every slot; a cluster would need one per node and slot.
  if (connection.isCluster) throw new Error('the Redis bulk reference runs against one Redis server (OUTFLOW_REDIS_LAYOUT=single)');
  const redis = connection as Redis;
  const prefix = redisGenerationPrefix(projection, generation);
  const keys: string[] = [];
  for await (const found of scanKeys(redis, redisPrefixPattern(prefix), 5000)) keys.push(...found.filter((k) => !k.startsWith(`${prefix}checkpoints:`) && !k.startsWith(`${prefix}source-times:`)));
  const documents: { key: string; type: string; hash?: Record<string, string>; zset?: string[] }[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const slice = keys.slice(i, i + 1000);
    const types = (await redis.pipeline(slice.map((k) => ['type', k])).exec())!.map(([, t]) => t as string);
    const reads = redis.pipeline();
    slice.forEach((k, j) => (types[j] === 'hash' ? reads.hgetall(k) : reads.zrange(k, 0, -1, 'WITHSCORES')));
    const values = (await reads.exec())!;
    slice.forEach((k, j) => {
      const value = values[j]![1];
      documents.push(types[j] === 'hash' ? { key: k, type: 'hash', hash: value as Record<string, string> } : { key: k, type: 'zset', zset: value as string[] });
    });
  }
  const started = performance.now();
  for (let i = 0; i < documents.length; i += 1000) {
    const write = redis.pipeline();
    for (const doc of documents.slice(i, i + 1000)) {
      const key = `${targetPrefix}${doc.key.slice(prefix.length)}`;
      if (doc.hash) write.hset(key, doc.hash);
      else if (doc.zset?.length) {
        const args: (string | number)[] = [];
        for (let j = 0; j < doc.zset.length; j += 2) args.push(Number(doc.zset[j + 1]), doc.zset[j]!);
        write.zadd(key, ...args);
      }
    }
    await write.exec();
  }
  const result = figures(documents.length, started);
  for await (const found of scanKeys(redis, redisPrefixPattern(targetPrefix), 5000)) await redis.unlink(...found);
  return result;
}

/**
 * The documents of `index`, bulk-indexed into a fresh index with the same mappings: `operations`
 * index requests in all, cycling over the documents, so a projection that updates few documents
 * many times (one update per event) is compared with as many writes, not with its final state.
 */
export async function elasticsearchBulkRewrite(es: ElasticsearchClient, index: string, targetIndex: string, operations?: number): Promise<BulkWriteFigures> {
  const mapping = await es.indices.getMapping({ index });
  // The worker's last writes are searchable only after a refresh; read before one, a short run
  // found no document at all and had nothing to rewrite.
  await es.indices.refresh({ index });
  await es.indices.create({ index: targetIndex, mappings: Object.values(mapping)[0]!.mappings });
  try {
    const documents: { id: string; source: unknown }[] = [];
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = await es.search({ index, size: 5000, sort: ['_doc'], ...(after ? { search_after: after } : {}), query: { match_all: {} } });
      if (page.hits.hits.length === 0) break;
      for (const hit of page.hits.hits) documents.push({ id: hit._id!, source: hit._source });
      after = page.hits.hits.at(-1)!.sort;
    }
    if (documents.length === 0) throw new Error(`${index} holds no document to rewrite`);
    const writes = Math.max(operations ?? documents.length, documents.length);
    const started = performance.now();
    for (let i = 0; i < writes; i += 5000) {
      const body = [];
      for (let j = i; j < Math.min(writes, i + 5000); j++) {
        const d = documents[j % documents.length]!;
        body.push({ index: { _index: targetIndex, _id: d.id } }, d.source);
      }
      const response = await es.bulk({ operations: body });
      if (response.errors) throw new Error(`_bulk into ${targetIndex} reported errors`);
    }
    await es.indices.refresh({ index: targetIndex });
    return figures(writes, started);
  } finally {
    await es.indices.delete({ index: targetIndex }).catch(() => undefined);
  }
}

/** Every row of the given tables, inserted into copies (LIKE ... INCLUDING ALL) in 5,000-row statements. */
export async function postgresBulkRewrite(pool: pg.Pool, tables: readonly string[], targetSuffix: string): Promise<BulkWriteFigures> {
  const copies = tables.map((t) => `${t}_${targetSuffix}`);
  const data: { target: string; rows: unknown[] }[] = [];
  for (const [i, table] of tables.entries()) {
    await pool.query(`CREATE TABLE ${pg.escapeIdentifier(copies[i]!)} (LIKE ${pg.escapeIdentifier(table)} INCLUDING ALL)`);
    data.push({ target: copies[i]!, rows: (await pool.query(`SELECT * FROM ${pg.escapeIdentifier(table)}`)).rows });
  }
  try {
    const started = performance.now();
    let documents = 0;
    for (const { target, rows } of data) {
      const quoted = pg.escapeIdentifier(target);
      for (let i = 0; i < rows.length; i += 5000) {
        const slice = rows.slice(i, i + 5000);
        await pool.query(`INSERT INTO ${quoted} SELECT * FROM json_populate_recordset(NULL::${quoted}, $1)`, [JSON.stringify(slice)]);
        documents += slice.length;
      }
    }
    return figures(documents, started);
  } finally {
    for (const copy of copies) await pool.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(copy)}`);
  }
}
