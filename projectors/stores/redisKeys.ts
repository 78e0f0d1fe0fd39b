// The Redis key layout every Redis read model shares. A projection's data lives under a
// generation prefix so a rebuild can fill generation n+1 beside the live one; the pointer
// key names the generation readers use, and switching it is one SET.
//
//   outflow:<projection>:live                          pointer: the live generation, e.g. "1"
//   outflow:<projection>:g<n>:<relative key>            the read model's data (handlers name the relative key)
//   outflow:<projection>:g<n>:checkpoints:<topic>       hash: partition → last applied offset
//   outflow:<projection>:g<n>:source-times:<topic>      hash: partition → when that offset's change happened (ms)
import type { Redis } from 'ioredis';

export function redisLivePointerKey(projection: string): string {
  return `outflow:${projection}:live`;
}

/** Every key of one generation starts with this, checkpoints included. */
export function redisGenerationPrefix(projection: string, generation: number): string {
  return `outflow:${projection}:g${generation}:`;
}

export function redisCheckpointsKey(projection: string, generation: number, topic: string): string {
  return `${redisGenerationPrefix(projection, generation)}checkpoints:${topic}`;
}

/** Written with the checkpoint in the same script: how old the newest applied change is. */
export function redisSourceTimesKey(projection: string, generation: number, topic: string): string {
  return `${redisGenerationPrefix(projection, generation)}source-times:${topic}`;
}

/** A SCAN MATCH pattern for keys starting with `prefix`: glob characters in names match literally. */
export function redisPrefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** The generation the pointer names, or undefined when the projection has none yet. */
export async function liveGeneration(redis: Redis, projection: string): Promise<number | undefined> {
  const raw = await redis.get(redisLivePointerKey(projection));
  if (raw === null) return undefined;
  const generation = Number(raw);
  return Number.isSafeInteger(generation) && generation > 0 ? generation : undefined;
}

/** The explicit generation when one is given, else the live one. */
export async function resolveGeneration(redis: Redis, projection: string, generation?: number): Promise<number | undefined> {
  return generation ?? liveGeneration(redis, projection);
}

/**
 * Every key matching `pattern`, once each, in batches. SCAN may return a key twice
 * while the keyspace rehashes, so keys already seen are dropped.
 */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    const fresh = keys.filter((key) => !seen.has(key));
    for (const key of fresh) seen.add(key);
    if (fresh.length > 0) yield fresh;
  } while (cursor !== '0');
}
