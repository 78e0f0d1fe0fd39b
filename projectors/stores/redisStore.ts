// The Redis store adapter. A Redis projection is a name, a version and pure handlers that
// turn an event into declarative operations (redisOps.ts); this adapter owns the rest:
// generations, the live pointer, checkpoints and applying a batch atomically in one script.
//
// On one server a batch is one script: its writes and its partition's checkpoint together. On a
// Redis Cluster a script may only touch one slot, so a batch is split by bucket (redisKeys.ts):
// each bucket's part is one script that writes the data with the bucket's own checkpoint of the
// partition (so a part applied twice is skipped the second time), then, once every part is held by
// the replicas asked for (WAIT), one more script moves the partition's checkpoint, which is where
// a worker resumes. The partition's checkpoint never runs ahead of the data; the data may run
// ahead of it, and a replay from it skips in each bucket what that bucket already has.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type pino from 'pino';
import { CheckpointMismatch, RedisWritesNotReplicated } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import type { PartitionBatch, PartitionFreshness, ProjectionDefinition, ProjectionEvent, ProjectionStore, StoreConnections } from '../projection.ts';
import { checkedHandlers, handledEventTypes, handlerDispatch } from './eventHandlers.ts';
import { liveGeneration, RedisKeyLayout, scanKeys, unlinkKeys } from './redisKeys.ts';
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

interface BucketPart {
  bucket: number;
  events: { offset: string; ops: readonly RedisOp[] }[];
}

export class RedisProjectionStore implements ProjectionStore {
  private readonly redis: RedisConnection;
  private readonly generation: number;
  private readonly layout: RedisKeyLayout;
  private readonly wait: { replicas: number; timeoutMs: number };
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
    this.layout = RedisKeyLayout.of(connections.redis, projection);
    this.wait = { replicas: connections.config.redis.waitReplicas, timeoutMs: connections.config.redis.waitTimeoutMs };
    this.log = createLogger(`redis-store:${projection}`, connections.config.logLevel);
  }

  /**
   * Redis keys need no creation; the pointer is set only if the projection has none yet. On a
   * cluster each bucket's copy is then set to whatever the pointer names, if it has none: an
   * init cut short before every copy was set is finished by the next.
   */
  async init(): Promise<void> {
    const set = await this.redis.set(this.layout.livePointerKey, String(this.generation), 'NX');
    if (set) this.log.info({ generation: this.generation }, 'live pointer set to this generation');
    if (!this.layout.bucketed) return;
    const live = await this.redis.get(this.layout.livePointerKey);
    if (live === null) return;
    await Promise.all(this.layout.allPointerKeys.map((key) => this.redis.set(key, live, 'NX')));
  }

  async readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>> {
    const key = this.layout.checkpointsKey(this.generation, topic);
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
      .hgetall(this.layout.checkpointsKey(this.generation, topic))
      .hgetall(this.layout.sourceTimesKey(this.generation, topic))
      .exec()
      .then((replies) => (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as Record<string, string>;
      }));
    return partitionFreshness(checkpoints ?? {}, times ?? {});
  }

  /**
   * Applies the batch with its checkpoint: atomically on one server; on a cluster, bucket by bucket
   * and then the checkpoint (see the top of this file). Returns what the scripts did (tests and
   * benchmarks read it).
   */
  async applyBatch(batch: PartitionBatch): Promise<AppliedBatch> {
    const events = batch.events.map((event) => ({ offset: event.offset, ops: this.projectEvent(event) }));
    const counts = this.layout.bucketed ? await this.applyInBuckets(batch, events) : await this.applyWithCheckpoint(batch, events, 0);
    this.log.debug({ topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset, generation: this.generation, ...counts }, 'batch applied');
    return counts;
  }

  /**
   * The writes of `events` (keys relative to `bucket`'s prefix: all of them on one server) and
   * the partition's checkpoint, in one script; on one server, the whole batch.
   */
  private async applyWithCheckpoint(batch: PartitionBatch, events: BucketPart['events'], bucket: number): Promise<AppliedBatch> {
    const { keys, argv } = encodeBatch({
      prefix: this.layout.generationPrefix(this.generation, bucket),
      checkpointsKey: this.layout.checkpointsKey(this.generation, batch.topic),
      sourceTimesKey: this.layout.sourceTimesKey(this.generation, batch.topic),
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
    return { applied, alreadyApplied, staleOps };
  }

  /**
   * The cluster layout: every bucket's part with that bucket's checkpoint (at once, each in its
   * own slot, each waited on), then the partition's checkpoint alone. Counted per event as on
   * one server: a part skips the events at or before its bucket's checkpoint, which are the
   * first of its events (they are in offset order), so the last `applied` of them were applied.
   */
  private async applyInBuckets(batch: PartitionBatch, events: readonly { offset: string; ops: readonly RedisOp[] }[]): Promise<AppliedBatch> {
    const parts = this.splitByBucket(events);
    const counts = await Promise.all(parts.map((part) => this.applyBucketPart(batch, part)));
    await this.applyWithCheckpoint(batch, [], 0);
    const appliedOffsets = new Set<string>();
    let staleOps = 0;
    counts.forEach((count, i) => {
      const partEvents = parts[i]!.events;
      for (let at = partEvents.length - count.applied; at < partEvents.length; at++) appliedOffsets.add(partEvents[at]!.offset);
      staleOps += count.staleOps;
    });
    const withOps = events.filter((event) => event.ops.length > 0).length;
    return { applied: appliedOffsets.size, alreadyApplied: withOps - appliedOffsets.size, staleOps };
  }

  /** Each event's ops grouped by the bucket of their keys, events kept in offset order. */
  private splitByBucket(events: readonly { offset: string; ops: readonly RedisOp[] }[]): BucketPart[] {
    const parts = new Map<number, BucketPart>();
    for (const { offset, ops } of events) {
      for (const op of ops) {
        const bucket = this.layout.bucketOf(op.key);
        let part = parts.get(bucket);
        if (!part) parts.set(bucket, (part = { bucket, events: [] }));
        const last = part.events[part.events.length - 1];
        if (last?.offset === offset) (last.ops as RedisOp[]).push(op);
        else part.events.push({ offset, ops: [op] });
      }
    }
    return [...parts.values()];
  }

  private async applyBucketPart(batch: PartitionBatch, part: BucketPart): Promise<AppliedBatch> {
    const checkpointsKey = this.layout.bucketCheckpointsKey(this.generation, part.bucket, batch.topic);
    const { keys, argv } = encodeBatch({
      prefix: this.layout.generationPrefix(this.generation, part.bucket),
      checkpointsKey,
      // Never written: the part carries no source time. Declared because the script names it.
      sourceTimesKey: checkpointsKey,
      partition: batch.partition,
      lastOffset: batch.lastOffset,
      events: part.events,
    });
    const [reply, acknowledged] = await this.runApplyScriptAndWait(keys, argv);
    if (acknowledged < this.wait.replicas) {
      throw new RedisWritesNotReplicated(this.projection, { topic: batch.topic, partition: batch.partition, bucket: part.bucket }, acknowledged, this.wait.replicas);
    }
    const [applied = 0, alreadyApplied = 0, staleOps = 0] = reply as number[];
    return { applied, alreadyApplied, staleOps };
  }

  async truncate(): Promise<void> {
    let deleted = 0;
    for await (const keys of scanKeys(this.redis, this.layout.scanPattern(this.generation))) {
      deleted += await unlinkKeys(this.redis, keys.filter((key) => this.layout.relativeKeyOf(key, this.generation) !== undefined));
    }
    await Promise.all(this.layout.allPointerKeys.map((key) => this.redis.eval(dropPointerIfScript, 1, key, String(this.generation))));
    this.log.info({ generation: this.generation, deleted }, 'generation truncated');
  }

  /** On a cluster, each bucket's copy of the pointer moves first, then the one the runtime reads. */
  async activate(): Promise<void> {
    const [global, ...copies] = [...this.layout.allPointerKeys].reverse();
    await Promise.all(copies.map((key) => this.redis.set(key, String(this.generation))));
    if (global) await this.redis.set(global, String(this.generation));
    this.log.info({ generation: this.generation }, 'live pointer moved to this generation');
  }

  /** The Redis connection belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  /**
   * The script and, in the same pipeline on the same connection, WAIT for the replicas asked
   * for (WAIT counts the replicas that hold this connection's writes so far). Returns the
   * script's reply and how many replicas acknowledged.
   */
  private async runApplyScriptAndWait(keys: readonly string[], argv: EncodedBatch['argv']): Promise<[unknown[], number]> {
    if (this.wait.replicas === 0) return [await this.runApplyScript(keys, argv), 0];
    const run = async (command: 'evalsha' | 'eval', script: string) => {
      const replies = (await this.redis.pipeline([[command, ...scriptArguments(script, keys, argv)], ['wait', this.wait.replicas, this.wait.timeoutMs]]).exec()) ?? [];
      const [[scriptError, reply] = [null, []], [waitError, acknowledged] = [null, 0]] = replies;
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return [reply as unknown[], Number(acknowledged)] as [unknown[], number];
    };
    try {
      return await run('evalsha', applyBatchSha);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return run('eval', applyBatchScript);
    }
  }

  /** The script's reply: its three counts, or 'mismatch' and the stored checkpoint. */
  private async runApplyScript(keys: readonly string[], argv: EncodedBatch['argv']): Promise<unknown[]> {
    const args = scriptArguments(applyBatchSha, keys, argv);
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

/** EVAL(SHA)'s arguments in one array, not spread: a big batch has more keys than a call may take. */
function scriptArguments(script: string, keys: readonly string[], argv: EncodedBatch['argv']): (string | number | Buffer)[] {
  const args: (string | number | Buffer)[] = [script, keys.length];
  for (const key of keys) args.push(key);
  for (const value of argv) args.push(value);
  return args;
}
