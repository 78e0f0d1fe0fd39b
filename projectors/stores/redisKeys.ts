// The Redis key layout every Redis read model shares. A projection's data lives under a
// generation prefix so a rebuild can fill generation n+1 beside the live one; the pointer
// key names the generation readers use, and switching it is one SET.
//
// On one Redis server:
//   outflow:<projection>:live                          pointer: the live generation, e.g. "1"
//   outflow:<projection>:g<n>:<relative key>            the read model's data (handlers name the relative key)
//   outflow:<projection>:g<n>:checkpoints:<topic>       hash: partition → last applied offset
//   outflow:<projection>:g<n>:source-times:<topic>      hash: partition → when that offset's change happened (ms)
//
// On a Redis Cluster a script may only touch keys of one hash slot, and a batch of one
// partition writes keys of many entities. So the keys are spread over CLUSTER_BUCKETS buckets,
// each with a hash tag of its own, and everything a script touches together lives in one bucket:
//   outflow:<projection>:{<projection>:b<k>}:live                       the bucket's copy of the pointer
//   outflow:<projection>:{<projection>:b<k>}:g<n>:<relative key>        data
//   outflow:<projection>:{<projection>:b<k>}:g<n>:checkpoints:<topic>   the bucket's own checkpoints
//   outflow:<projection>:{<projection>:cp}:g<n>:checkpoints:<topic>     the partitions' checkpoints
//   outflow:<projection>:{<projection>:cp}:g<n>:source-times:<topic>
//   outflow:<projection>:live                                          the pointer the runtime reads
// A relative key's bucket is a hash of its own hash tag (the text between its first { and the
// next }) or, without one, of the whole key: keys read together by one script must share a tag.
// Readers find a key's bucket from the key alone, and the bucket's pointer copy lives in the
// data's slot, so a read follows the pointer and reads the data in one script on a cluster too.
import type { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from '../../lib/redisConnection.ts';

export type { RedisConnection } from '../../lib/redisConnection.ts';

/**
 * How many buckets a projection's keys are spread over on a Redis Cluster. A constant of the
 * layout, not a setting: readers and writers must agree on it without asking each other, and
 * changing it moves every key (a new projection version, rebuilt). 64 buckets spread evenly
 * enough over up to about a dozen primaries; a batch touches at most this many scripts.
 */
export const CLUSTER_BUCKETS = 64;

/** 32-bit FNV-1a of the UTF-8 bytes: stable across processes and versions, cheap for short ids. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A relative key's hash tag as Redis reads one: the text between the first { and the next }, if not empty. */
export function relativeKeyTag(relativeKey: string): string {
  const open = relativeKey.indexOf('{');
  if (open === -1) return relativeKey;
  const close = relativeKey.indexOf('}', open + 1);
  return close === -1 || close === open + 1 ? relativeKey : relativeKey.slice(open + 1, close);
}

export class RedisKeyLayout {
  readonly #global: string;

  constructor(
    readonly projection: string,
    /** 1: the single-server layout; more: the cluster layout with that many buckets. */
    readonly buckets: number,
  ) {
    if (!Number.isSafeInteger(buckets) || buckets < 1) throw new Error(`buckets must be a positive integer, got ${buckets}`);
    this.#global = `outflow:${projection}:`;
  }

  /** The layout a connection calls for: buckets on a cluster, none on one server. */
  static of(redis: RedisConnection, projection: string): RedisKeyLayout {
    return new RedisKeyLayout(projection, redis.isCluster ? CLUSTER_BUCKETS : 1);
  }

  get bucketed(): boolean {
    return this.buckets > 1;
  }

  bucketOf(relativeKey: string): number {
    return this.bucketed ? fnv1a(relativeKeyTag(relativeKey)) % this.buckets : 0;
  }

  /** Where a bucket's keys start, before the generation. */
  bucketHead(bucket: number): string {
    return this.bucketed ? `${this.#global}{${this.projection}:b${bucket}}:` : this.#global;
  }

  /** The pointer the runtime and the CLI read. */
  get livePointerKey(): string {
    return `${this.#global}live`;
  }

  /** The pointer a reader of `bucket` follows: the bucket's copy on a cluster, the one pointer otherwise. */
  bucketPointerKey(bucket: number): string {
    return `${this.bucketHead(bucket)}live`;
  }

  /** Every pointer a switch moves: each bucket's copy first, then the one the runtime reads. */
  get allPointerKeys(): string[] {
    if (!this.bucketed) return [this.livePointerKey];
    return [...Array.from({ length: this.buckets }, (_, bucket) => this.bucketPointerKey(bucket)), this.livePointerKey];
  }

  generationPrefix(generation: number, bucket: number): string {
    return `${this.bucketHead(bucket)}g${generation}:`;
  }

  dataKey(generation: number, relativeKey: string): string {
    return this.generationPrefix(generation, this.bucketOf(relativeKey)) + relativeKey;
  }

  /** A key split around the generation number, for a script that learns the number from `pointerKey`. */
  aroundGeneration(relativeKey: string): { pointerKey: string; head: string; tail: string } {
    const bucket = this.bucketOf(relativeKey);
    return { pointerKey: this.bucketPointerKey(bucket), head: `${this.bucketHead(bucket)}g`, tail: `:${relativeKey}` };
  }

  // The partitions' checkpoints: beside the data on one server (one script writes both), in
  // a slot of their own on a cluster.
  #checkpointHead(generation: number): string {
    return this.bucketed ? `${this.#global}{${this.projection}:cp}:g${generation}:` : `${this.#global}g${generation}:`;
  }

  checkpointsKey(generation: number, topic: string): string {
    return `${this.#checkpointHead(generation)}checkpoints:${topic}`;
  }

  sourceTimesKey(generation: number, topic: string): string {
    return `${this.#checkpointHead(generation)}source-times:${topic}`;
  }

  /** A bucket's own checkpoints (cluster layout): what its script skips as already applied. */
  bucketCheckpointsKey(generation: number, bucket: number, topic: string): string {
    return `${this.generationPrefix(generation, bucket)}checkpoints:${topic}`;
  }

  /** Whether `key` is one of a bucket's own checkpoints hashes (cluster layout): bookkeeping, not the read model. */
  isBucketCheckpointsKey(key: string, generation: number): boolean {
    if (!this.bucketed || !/^\{[^}]*:b\d+\}:/.test(key.slice(this.#global.length))) return false;
    return this.relativeKeyOf(key, generation)?.startsWith('checkpoints:') === true;
  }

  /** A SCAN pattern that finds every key of the generation whose relative key starts with `relativePrefix`, and more. */
  scanPattern(generation: number, relativePrefix = ''): string {
    const tail = `g${generation}:${relativePrefix}`;
    if (!this.bucketed) return redisPrefixPattern(this.#global + tail);
    return `${redisPrefixPattern(`${this.#global}{${this.projection}:`)}${redisPrefixPattern(`}:${tail}`)}`;
  }

  /** The relative key of a key of `generation` (checkpoints included), or undefined for any other key. */
  relativeKeyOf(key: string, generation: number): string | undefined {
    if (!key.startsWith(this.#global)) return undefined;
    let rest = key.slice(this.#global.length);
    if (this.bucketed) {
      const tag = /^\{[^}]*:(?:b\d+|cp)\}:/.exec(rest);
      if (!tag || !tag[0].startsWith(`{${this.projection}:`)) return undefined;
      rest = rest.slice(tag[0].length);
    }
    const head = `g${generation}:`;
    return rest.startsWith(head) ? rest.slice(head.length) : undefined;
  }
}

// The single-server layout by name, for callers (and tests) that know they are on one server.
export function redisLivePointerKey(projection: string): string {
  return new RedisKeyLayout(projection, 1).livePointerKey;
}

/** Every key of one generation starts with this on one server, checkpoints included. */
export function redisGenerationPrefix(projection: string, generation: number): string {
  return new RedisKeyLayout(projection, 1).generationPrefix(generation, 0);
}

/** The partitions' checkpoints hash of a topic (the single-server layout). */
export function redisCheckpointsKey(projection: string, generation: number, topic: string): string {
  return new RedisKeyLayout(projection, 1).checkpointsKey(generation, topic);
}

/** Written with the checkpoint in the same script: how old the newest applied change is. */
export function redisSourceTimesKey(projection: string, generation: number, topic: string): string {
  return new RedisKeyLayout(projection, 1).sourceTimesKey(generation, topic);
}

/** A SCAN MATCH pattern for keys starting with `prefix`: glob characters in names match literally. */
export function redisPrefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** The generation the pointer names, or undefined when the projection has none yet. */
export async function liveGeneration(redis: RedisConnection, projection: string): Promise<number | undefined> {
  const raw = await redis.get(redisLivePointerKey(projection));
  if (raw === null) return undefined;
  const generation = Number(raw);
  return Number.isSafeInteger(generation) && generation > 0 ? generation : undefined;
}

/** The explicit generation when one is given, else the live one. */
export async function resolveGeneration(redis: RedisConnection, projection: string, generation?: number): Promise<number | undefined> {
  return generation ?? liveGeneration(redis, projection);
}

/** The connections SCAN must visit: every primary of a cluster, or the one server. */
function scannedServers(redis: RedisConnection): Redis[] {
  return redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
}

/**
 * Every key matching `pattern`, once each, in batches; on a cluster, every primary's keys,
 * each batch from one primary (so a pipeline over one batch reaches one server). SCAN may return
 * a key twice while the keyspace rehashes, so keys already seen are dropped.
 */
export async function* scanKeys(redis: RedisConnection, pattern: string, count = 1000): AsyncGenerator<string[]> {
  const seen = new Set<string>();
  for (const server of scannedServers(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      const fresh = keys.filter((key) => !seen.has(key));
      for (const key of fresh) seen.add(key);
      if (fresh.length > 0) yield fresh;
    } while (cursor !== '0');
  }
}

/** Deletes keys found by scanKeys (a batch from one server), slot by slot where a cluster asks it. */
export async function unlinkKeys(redis: RedisConnection, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!redis.isCluster) return (redis as Redis).unlink(...keys);
  const replies = (await redis.pipeline(keys.map((key) => ['unlink', key])).exec()) ?? [];
  let deleted = 0;
  for (const [error, count] of replies) {
    if (error) throw error;
    deleted += Number(count);
  }
  return deleted;
}
