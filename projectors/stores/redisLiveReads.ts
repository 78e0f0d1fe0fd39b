// Readers' access to a Redis read model, one round trip per read: a Lua script follows the live
// pointer and reads the data in the same step (redisReadLiveHash.lua, redisReadIndexPage.lua),
// where reading the pointer first and the data second would cost two round trips and leave a
// window for a rebuild's switch between them. ioredis sends EVALSHA and falls back to the full
// script once on NOSCRIPT (a restarted or flushed server). On a Redis Cluster the script follows the
// copy of the pointer in the key's own bucket, so the pointer and the data share a slot there too.
import fs from 'node:fs';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import { RedisKeyLayout, relativeKeyTag } from './redisKeys.ts';

const readLiveHashScript = fs.readFileSync(new URL('./redisReadLiveHash.lua', import.meta.url), 'utf8');
const readIndexPageScript = fs.readFileSync(new URL('./redisReadIndexPage.lua', import.meta.url), 'utf8');

interface LiveReadCommands {
  outflowReadLiveHash(pointerKey: string, keyHead: string, keyTail: string): Promise<string[]>;
  outflowReadIndexPage(
    pointerKey: string,
    generation: string,
    keyHead: string,
    indexTail: string,
    valuesTail: string,
    count: number,
    cursorScore: string,
  ): Promise<[string[], string[], (string | null)[]] | null>;
}

const withScripts = new WeakSet<RedisConnection>();

/** The connection with the read scripts defined on it (once per connection object). */
function scripted(redis: RedisConnection): RedisConnection & LiveReadCommands {
  if (!withScripts.has(redis)) {
    redis.defineCommand('outflowReadLiveHash', { numberOfKeys: 1, lua: readLiveHashScript, readOnly: true });
    redis.defineCommand('outflowReadIndexPage', { numberOfKeys: 1, lua: readIndexPageScript, readOnly: true });
    withScripts.add(redis);
  }
  return redis as RedisConnection & LiveReadCommands;
}

/**
 * A generation's key on one server split around the generation number, for a script that learns
 * the number from the pointer: head + n + tail === redisGenerationPrefix(projection, n) + relativeKey.
 */
export function keyAroundGeneration(projection: string, relativeKey: string): { head: string; tail: string } {
  const { head, tail } = new RedisKeyLayout(projection, 1).aroundGeneration(relativeKey);
  return { head, tail };
}

function toHash(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
  return hash;
}

/**
 * One hash of a read model, from `generation` or else from the live one: as HGETALL gives it,
 * empty when the hash (or a live generation) does not exist. One round trip either way.
 */
export async function readHash(redis: RedisConnection, projection: string, relativeKey: string, generation?: number): Promise<Record<string, string>> {
  const layout = RedisKeyLayout.of(redis, projection);
  if (generation !== undefined) return redis.hgetall(layout.dataKey(generation, relativeKey));
  const { pointerKey, head, tail } = layout.aroundGeneration(relativeKey);
  return toHash(await scripted(redis).outflowReadLiveHash(pointerKey, head, tail));
}

export interface IndexEntry {
  member: string;
  score: number;
}

export interface IndexPage {
  /** With a cursor: every entry with exactly the cursor's score, highest member first. */
  atScore: IndexEntry[];
  /** Up to `count` entries below the cursor's score (without a cursor: the first `count`), highest first. */
  below: IndexEntry[];
  /** The values hash's value of every member listed above; null when it has none. */
  values: Map<string, string | null>;
}

function entries(flat: readonly string[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i] as string, score: Number(flat[i + 1]) });
  return out;
}

/**
 * A page of a read model's index (a sorted set, highest score first) and the values of the
 * members it lists (a hash keyed by member), from `generation` or else from the live one, in
 * one round trip. Undefined when there is no live generation. The two keys must share a hash
 * tag (one bucket on a cluster).
 */
export async function readIndexPage(
  redis: RedisConnection,
  projection: string,
  options: { indexKey: string; valuesKey: string; count: number; cursorScore?: number; generation?: number },
): Promise<IndexPage | undefined> {
  const { indexKey, valuesKey, count, cursorScore, generation } = options;
  const layout = RedisKeyLayout.of(redis, projection);
  // Refused on one server too, so that a read model built there also runs on a cluster.
  if (relativeKeyTag(indexKey) !== relativeKeyTag(valuesKey)) {
    throw new Error(`${projection}: "${indexKey}" and "${valuesKey}" are read together, so they need the same hash tag`);
  }
  const index = layout.aroundGeneration(indexKey);
  const { tail: valuesTail } = layout.aroundGeneration(valuesKey);
  const reply = await scripted(redis).outflowReadIndexPage(
    index.pointerKey,
    generation === undefined ? '' : String(generation),
    index.head,
    index.tail,
    valuesTail,
    count,
    cursorScore === undefined ? '' : String(cursorScore),
  );
  if (!reply) return undefined;
  const [atScoreFlat, belowFlat, found] = reply;
  const atScore = entries(atScoreFlat);
  const below = entries(belowFlat);
  const values = new Map<string, string | null>();
  [...atScore, ...below].forEach((entry, i) => values.set(entry.member, found[i] ?? null));
  return { atScore, below, values };
}
