// The Redis store adapter. A Redis projection is a name, a version and pure handlers that
// turn an event into declarative operations (redisOps.ts); this adapter owns the rest:
// generations, the live pointer, checkpoints and applying a batch atomically in one script.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import type pino from 'pino';
import { CheckpointMismatch } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import type { PartitionBatch, PartitionFreshness, ProjectionDefinition, ProjectionEvent, ProjectionStore, StoreConnections } from '../projection.ts';
import { checkedHandlers, handledEventTypes, handlerDispatch } from './eventHandlers.ts';
import { liveGeneration, redisCheckpointsKey, redisGenerationPrefix, redisLivePointerKey, redisPrefixPattern, redisSourceTimesKey, scanKeys } from './redisKeys.ts';
import { checkOp, encodeBatch, type EncodedBatch, type RedisHandlers, type RedisOp } from './redisOps.ts';

export type { RedisHandlers, RedisOp } from './redisOps.ts';

const applyBatchScript = fs.readFileSync(new URL('./redisApplyBatch.lua', import.meta.url), 'utf8');
const applyBatchSha = crypto.createHash('sha1').update(applyBatchScript).digest('hex');

// Deletes the pointer only if it still names the truncated generation: a pointer to an
// emptied generation would serve nothing, and without it the next init() points afresh.
const dropPointerIfScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RedisProjectionDefinition extends ProjectionDefinition {
  /** The operations the projection's handler gives for one event (none for an unhandled type). */
  opsFor(event: ProjectionEvent): readonly RedisOp[];
}

export function defineRedisProjection(spec: { name: string; version: number; handlers: RedisHandlers }): RedisProjectionDefinition {
  const { name, version, handlers } = spec;
  return redisDefinition({ name, version, eventTypes: handledEventTypes(handlers), opsFor: handlerDispatch<readonly RedisOp[]>(handlers, []) });
}

/** The same projection under another name, reading `topics` when given (a benchmark's copy, a test's own). */
export function renamedRedisProjection(definition: RedisProjectionDefinition, name: string, topics?: readonly string[]): RedisProjectionDefinition {
  return redisDefinition({ ...definition, name, ...(topics ? { topics } : {}) });
}

// Its stores and its pointer are named by `name`: a copy under another name is built here again,
// never spread from the original, whose functions would still write under the original's name.
function redisDefinition(base: Omit<RedisProjectionDefinition, 'createStore' | 'liveGeneration'>): RedisProjectionDefinition {
  const { name, opsFor } = base;
  return Object.freeze({
    ...base,
    createStore: (connections: StoreConnections, generation: number) => new RedisProjectionStore(connections, generation, name, opsFor),
    liveGeneration: (connections: StoreConnections) => liveGeneration(connections.redis, name),
  });
}

/** Counts the batch script reports; the store logs them at debug level. */
export interface AppliedBatch {
  applied: number;
  alreadyApplied: number;
  staleOps: number;
}

/** The checkpoints hash and the source-times hash of one topic, as partition → freshness. */
function partitionFreshness(checkpoints: Record<string, string>, times: Record<string, string>): Map<number, PartitionFreshness> {
  const freshness = new Map<number, PartitionFreshness>();
  for (const [partition, offset] of Object.entries(checkpoints)) {
    const sourceTimeMs = Number(times[partition]);
    freshness.set(Number(partition), Number.isSafeInteger(sourceTimeMs) && times[partition] !== undefined ? { offset, sourceTimeMs } : { offset });
  }
  return freshness;
}

export class RedisProjectionStore implements ProjectionStore {
  private readonly redis: Redis;
  private readonly generation: number;
  private readonly prefix: string;
  private readonly log: pino.Logger;
  private readonly projectEvent: (event: ProjectionEvent) => readonly RedisOp[];

  constructor(
    connections: StoreConnections,
    generation: number,
    private readonly projection: string,
    opsFor: (event: ProjectionEvent) => readonly RedisOp[],
  ) {
    this.projectEvent = checkedHandlers(projection, opsFor, checkOp);
    this.redis = connections.redis;
    this.generation = generation;
    this.prefix = redisGenerationPrefix(projection, generation);
    this.log = createLogger(`redis-store:${projection}`, connections.config.logLevel);
  }

  /** Redis keys need no creation; the pointer is set only if the projection has none yet. */
  async init(): Promise<void> {
    const set = await this.redis.set(redisLivePointerKey(this.projection), String(this.generation), 'NX');
    if (set) this.log.info({ generation: this.generation }, 'live pointer set to this generation');
  }

  async readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>> {
    const key = redisCheckpointsKey(this.projection, this.generation, topic);
    if (partitions === undefined) {
      const raw = await this.redis.hgetall(key);
      return new Map(Object.entries(raw).map(([partition, offset]) => [Number(partition), offset]));
    }
    const checkpoints = new Map<number, string>();
    if (partitions.length === 0) return checkpoints;
    const offsets = await this.redis.hmget(key, ...partitions.map(String));
    partitions.forEach((partition, i) => {
      const offset = offsets[i];
      if (offset !== null && offset !== undefined) checkpoints.set(partition, offset);
    });
    return checkpoints;
  }

  async readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    const [checkpoints, times] = await this.redis
      .multi()
      .hgetall(redisCheckpointsKey(this.projection, this.generation, topic))
      .hgetall(redisSourceTimesKey(this.projection, this.generation, topic))
      .exec()
      .then((replies) => (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as Record<string, string>;
      }));
    return partitionFreshness(checkpoints ?? {}, times ?? {});
  }

  /** Applies the batch with its checkpoint, atomically; returns what the script did (tests and benchmarks read it). */
  async applyBatch(batch: PartitionBatch): Promise<AppliedBatch> {
    const events = batch.events.map((event) => ({ offset: event.offset, ops: this.projectEvent(event) }));
    const { keys, argv } = encodeBatch({
      prefix: this.prefix,
      checkpointsKey: redisCheckpointsKey(this.projection, this.generation, batch.topic),
      sourceTimesKey: redisSourceTimesKey(this.projection, this.generation, batch.topic),
      partition: batch.partition,
      lastOffset: batch.lastOffset,
      expectedCheckpoint: batch.expectedCheckpoint,
      sourceTimeMs: batch.sourceTimeMs,
      events,
    });
    const reply = await this.runApplyScript(keys, argv);
    if (reply[0] === 'mismatch') {
      throw new CheckpointMismatch(this.projection, { topic: batch.topic, partition: batch.partition }, batch.expectedCheckpoint ?? null, reply[1] === '' ? null : String(reply[1]));
    }
    const [applied = 0, alreadyApplied = 0, staleOps = 0] = reply as number[];
    const counts = { applied, alreadyApplied, staleOps };
    this.log.debug({ topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset, generation: this.generation, ...counts }, 'batch applied');
    return counts;
  }

  async truncate(): Promise<void> {
    let deleted = 0;
    for await (const keys of scanKeys(this.redis, redisPrefixPattern(this.prefix))) {
      deleted += await this.redis.unlink(...keys);
    }
    await this.redis.eval(dropPointerIfScript, 1, redisLivePointerKey(this.projection), String(this.generation));
    this.log.info({ generation: this.generation, deleted }, 'generation truncated');
  }

  async activate(): Promise<void> {
    await this.redis.set(redisLivePointerKey(this.projection), String(this.generation));
    this.log.info({ generation: this.generation }, 'live pointer moved to this generation');
  }

  /** The Redis connection belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  /** The script's reply: its three counts, or 'mismatch' and the stored checkpoint. */
  private async runApplyScript(keys: readonly string[], argv: EncodedBatch['argv']): Promise<unknown[]> {
    // One array, not spread arguments: a big batch has more keys than a call may take.
    const args: (string | number | Buffer)[] = [applyBatchSha, keys.length];
    for (const key of keys) args.push(key);
    args.push(...argv);
    let reply: unknown;
    try {
      reply = await this.redis.call('evalsha', args);
    } catch (error) {
      // A restarted or flushed server has forgotten the script: send it once in full.
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      args[0] = applyBatchScript;
      reply = await this.redis.call('eval', args);
    }
    return reply as unknown[];
  }
}
