// One projection's consumer: its own group (consumerGroupOf), its topics from the catalog,
// commits of what the store holds after its writes (offsetCommitPolicy.ts says when), a seek to
// the store's checkpoint + 1 whenever the fetch position disagrees with it, and per-partition
// chunks through chunkApplier.ts.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { CheckpointMismatch } from '../../lib/errors.ts';
import { consumerGroupOf, topicsOf, type ProjectionDefinition } from '../projection.ts';
import { applyChunk, type ChunkContext } from './chunkApplier.ts';
import { CheckpointAudit } from './checkpointAudit.ts';
import { CheckpointCheckedStore, checkpointBehind } from './checkpointGuard.ts';
import { PartitionPositions } from './partitionPositions.ts';
import { PartitionProgress, type ProgressThresholds, type ProgressVerdict } from './partitionProgress.ts';
import { OffsetCommitPolicy, type OffsetCommitLimits } from './offsetCommitPolicy.ts';
import { describeFailure, isRetriable } from './retriableFailure.ts';
import type { BackoffOptions } from './retryBackoff.ts';
import { INTERRUPTED, retryWhileTransient, type RetryControl, type RetryPosition } from './transientRetry.ts';

export type ConsumerState = 'starting' | 'running' | 'retrying' | 'crashed' | 'stopped';

export interface ProjectionConsumerOptions {
  kafka: Kafka;
  admin: Admin;
  definition: ProjectionDefinition;
  chunk: ChunkContext;
  concurrency: number;
  chunkSize: number;
  backoff: BackoffOptions;
  /** How often idle partitions' store checkpoints are compared with what was applied (checkpointAudit.ts). */
  checkpointAuditMs?: number;
  /** How often the assigned partitions' checkpoints and ends are sampled for readiness and liveness. */
  progressSampleMs?: number;
  /** When applied offsets are committed to Kafka (offsetCommitPolicy.ts). */
  offsetCommit?: OffsetCommitLimits;
}

interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Whether offset `a` comes before `b`. Kafka offsets are decimal strings without leading zeros,
 * so comparing lengths, then text, orders them exactly without a BigInt per message.
 */
function offsetBefore(a: string, b: string): boolean {
  return a.length === b.length ? a < b : a.length < b.length;
}

function rootCause(error: Error): unknown {
  let current: unknown = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current;
}

export class ProjectionConsumer {
  readonly groupId: string;
  readonly topics: string[];
  private readonly consumer: Consumer;
  private readonly positions: PartitionPositions;
  private readonly audit: CheckpointAudit;
  private readonly progress = new PartitionProgress();
  private progressTimer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private retryingPartitions = 0;
  private readonly commitPolicy: OffsetCommitPolicy;
  /** Per partition, the offset after the last chunk the store holds, not yet committed to Kafka. */
  private readonly uncommitted = new Map<string, TopicPartitionOffset>();
  private commitTimer: NodeJS.Timeout | undefined;
  private crashed = false;
  private stopped = false;
  private started = false;
  assignment: Record<string, number[]> = {};

  constructor(private readonly options: ProjectionConsumerOptions) {
    const { definition, chunk, kafka, admin } = options;
    this.groupId = consumerGroupOf(definition.name, chunk.generation);
    this.commitPolicy = new OffsetCommitPolicy(options.offsetCommit);
    this.topics = topicsOf(definition);
    this.positions = new PartitionPositions(chunk.store, admin);
    this.audit = new CheckpointAudit({
      store: chunk.store,
      positions: this.positions,
      assignment: () => this.assignment,
      intervalMs: options.checkpointAuditMs ?? 5_000,
      onBehind: ({ topic, partition, lastApplied, stored }) => this.continueFromStore({ topic, partition, offset: lastApplied }, lastApplied, stored),
      onError: (error) => chunk.log.warn({ err: describeFailure(error) }, 'store checkpoints not compared with the applied offsets; next time'),
    });
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      // Without a fetch shape of its own, a projection gets each event as soon as Kafka has it.
      maxWaitTimeInMs: definition.fetch?.maxWaitTimeInMs ?? 100,
      minBytes: definition.fetch?.minBytes ?? 1,
      // kafkajs restarts the consumer after transient trouble; an error the runtime gave up on
      // (a checkpoint write that keeps failing non-retriably) stops it: /health turns 503.
      retry: { restartOnFailure: async (error) => isRetriable(rootCause(error)) },
    });
  }

  get state(): ConsumerState {
    if (this.stopped) return 'stopped';
    if (this.crashed) return 'crashed';
    if (!this.started) return 'starting';
    return this.retryingPartitions > 0 ? 'retrying' : 'running';
  }

  async start(): Promise<void> {
    const { chunk } = this.options;
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.positions.clear();
      this.assignment = payload.memberAssignment;
      // A partition now another worker's must not get this worker's older offset committed over its newer one.
      for (const [key, { topic, partition }] of this.uncommitted) {
        if (!payload.memberAssignment[topic]?.includes(partition)) this.uncommitted.delete(key);
      }
      this.progress.assign(payload.memberAssignment);
      void this.sampleProgress();
      chunk.log.info({ groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment }, 'partitions assigned');
      chunk.emit('assignment', { projection: chunk.projection, groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment });
      // Another worker may have parked keys while these partitions were elsewhere.
      chunk.parked.reload().catch((error: unknown) => chunk.log.warn({ err: describeFailure(error) }, 'parked keys not reloaded; the TTL reload will retry'));
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          this.seekToCheckpoint(topic, partition).catch((error: unknown) =>
            chunk.log.warn({ topic, partition, err: describeFailure(error) }, 'checkpoint not read on assignment; the first batch will check it'),
          );
        }
      }
    });
    this.consumer.on(CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.crashed = true;
      chunk.log.error({ err: describeFailure(payload.error) }, 'consumer crashed');
      chunk.emit('crash', { projection: chunk.projection, error: payload.error });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(this.options.concurrency, this.options.definition.fetch?.partitionsAtOnce ?? 0),
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.started = true;
    this.audit.start();
    this.progressTimer = setInterval(() => void this.sampleProgress(), this.options.progressSampleMs ?? 5_000);
    this.progressTimer.unref();
  }

  /** Caught up (ready) and making progress (live), as of the last samples; see partitionProgress.ts. */
  progressVerdict(nowMs: number, thresholds: ProgressThresholds): ProgressVerdict {
    return this.progress.verdict(nowMs, thresholds, this.state === 'retrying');
  }

  /** Reads, for every assigned partition, the store's checkpoint and the log's end (never two rounds at once). */
  private sampleProgress(): Promise<void> {
    // finally runs as a later microtask, so it clears the round this assignment records.
    this.sampling ??= this.sampleProgressOnce().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async sampleProgressOnce(): Promise<void> {
    const { admin, chunk } = this.options;
    try {
      for (const [topic, partitions] of this.progress.assignedTopics()) {
        const [checkpoints, offsets] = await Promise.all([chunk.store.readCheckpoints(topic, partitions), admin.fetchTopicOffsets(topic)]);
        const now = Date.now();
        for (const { partition, high } of offsets) {
          if (!partitions.includes(partition)) continue;
          const checkpoint = checkpoints.get(partition);
          this.progress.observe({ topic, partition, applied: checkpoint === undefined ? null : BigInt(checkpoint), end: BigInt(high) - 1n }, now);
        }
      }
    } catch (error) {
      // Unsampled partitions count as not caught up; a stale sample only delays the verdicts.
      chunk.log.debug({ err: describeFailure(error) }, 'progress not sampled; next time');
    }
  }

  /** Finishes the current chunks (their checkpoints and commits), leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping.abort();
    this.audit.stop();
    clearInterval(this.progressTimer);
    await this.commitApplied((offsets) => this.consumer.commitOffsets(offsets)).catch((error: unknown) =>
      this.options.chunk.log.warn({ err: describeFailure(error) }, 'applied offsets not committed to Kafka on stop; the next owner resumes from the store checkpoint'),
    );
    await this.consumer.disconnect();
    this.stopped = true;
  }

  /**
   * Moves the fetch position to the store's checkpoint + 1 right after an assignment, so no
   * batch is fetched from Kafka's committed offset only to be thrown away. handleBatch checks
   * the position again on every batch, which is what guarantees it.
   */
  private async seekToCheckpoint(topic: string, partition: number): Promise<void> {
    const next = await this.positions.nextOffset(topic, partition);
    // A batch already applied from there: its position is newer than this read.
    if (this.positions.peek(topic, partition) !== next || this.stopping.signal.aborted) return;
    this.consumer.seek({ topic, partition, offset: String(next) });
  }

  /**
   * The store holds another checkpoint than this worker applied: seek to the store's checkpoint
   * + 1 and apply again from there. Behind means the store lost acknowledged writes (counted:
   * the events after its checkpoint are applied again, in order); ahead means someone else
   * applied further, and those events are not applied twice.
   */
  private async continueFromStore(where: RetryPosition, expected: string | null, actual: string | null, control?: RetryControl): Promise<void> {
    const { chunk } = this.options;
    const { topic, partition } = where;
    this.positions.resetTo(topic, partition, actual);
    const nextOffset = () => this.positions.nextOffset(topic, partition);
    const next = control ? await retryWhileTransient(where, control, nextOffset) : await nextOffset();
    if (next === INTERRUPTED) return;
    const details = { ...where, expectedCheckpoint: expected, storeCheckpoint: actual, seekTo: String(next) };
    if (checkpointBehind(expected, actual)) {
      chunk.metrics.checkpointRewinds.inc({ projection: chunk.projection });
      chunk.log.warn(details, 'store checkpoint is behind what was applied (the store lost its last writes); applying again from it');
    } else {
      chunk.log.info(details, 'store checkpoint is ahead of what this worker applied; continuing after it');
    }
    if (this.stopping.signal.aborted) return;
    this.consumer.seek({ topic, partition, offset: String(next) });
  }

  private retryControl(payload: EachBatchPayload): RetryControl {
    const { chunk, backoff } = this.options;
    return {
      backoff,
      signal: this.stopping.signal,
      heartbeat: () => payload.heartbeat(),
      shouldContinue: () => payload.isRunning() && !payload.isStale() && !this.stopping.signal.aborted,
      onRetry: (position, attempt, delayMs, error) => {
        chunk.metrics.retries.inc({ projection: chunk.projection });
        chunk.log.warn({ ...position, attempt, delayMs, err: error }, 'transient failure; retrying the same work');
        chunk.emit('retry', { projection: chunk.projection, ...position, attempt, delayMs, error });
      },
      onRetrying: (active) => {
        this.retryingPartitions += active ? 1 : -1;
      },
    };
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const receivedAt = Date.now();
    const { batch } = payload;
    const { topic, partition } = batch;
    const { chunk, chunkSize } = this.options;
    const control = this.retryControl(payload);
    const first = batch.firstOffset();
    if (first === null) return;

    const position = await retryWhileTransient({ topic, partition, offset: first }, control, () => this.positions.position(topic, partition));
    if (position === INTERRUPTED) return;
    const { next } = position;
    let { lastApplied } = position;
    if (BigInt(first) > next) {
      // Kafka's committed offset is ahead of the store (e.g. a truncated generation): going
      // on would leave a hole, so fetch again from the store's position.
      chunk.log.warn({ topic, partition, offset: first, checkpointNext: String(next) }, 'fetch position is past the checkpoint; seeking back');
      this.consumer.seek({ topic, partition, offset: String(next) });
      return;
    }
    const nextText = String(next);
    const messages = batch.messages.filter((message) => !offsetBefore(message.offset, nextText));
    const parkedReload = await retryWhileTransient({ topic, partition, offset: first }, control, () => chunk.parked.reloadIfStale());
    if (parkedReload === INTERRUPTED) return;

    for (let start = 0; start < messages.length; start += chunkSize) {
      if (!control.shouldContinue()) return;
      const slice = messages.slice(start, start + chunkSize);
      const firstOffset = slice[0]!.offset;
      const lastOffset = slice.at(-1)!.offset;
      const begun = performance.now();
      chunk.emit('batch.start', { projection: chunk.projection, topic, partition, firstOffset, size: slice.length });
      // The chunk's writes must follow on from what the store held after the previous chunk.
      const store = new CheckpointCheckedStore(chunk.store, lastApplied);
      let result: Awaited<ReturnType<typeof applyChunk>>;
      try {
        result = await applyChunk({ ...chunk, store }, control, topic, partition, slice, receivedAt);
      } catch (error) {
        if (!(error instanceof CheckpointMismatch)) throw error;
        await this.continueFromStore({ topic, partition, offset: firstOffset }, error.expected, error.actual, control);
        return;
      }
      if (result === INTERRUPTED) return;
      this.positions.advance(topic, partition, lastOffset);
      lastApplied = lastOffset;
      payload.resolveOffset(lastOffset);
      await this.applied(payload, topic, partition, lastOffset, slice.length);
      const durationMs = performance.now() - begun;
      const labels = { projection: chunk.projection };
      chunk.metrics.batchSize.observe(labels, slice.length);
      chunk.metrics.batchDuration.observe(labels, durationMs / 1000);
      chunk.metrics.consumerLag.set({ ...labels, topic, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - 1n - BigInt(lastOffset))));
      chunk.log.debug({ topic, partition, firstOffset, lastOffset, ...result, durationMs }, 'chunk applied');
      chunk.emit('batch.end', { projection: chunk.projection, topic, partition, lastOffset, ...result, durationMs });
    }
    // Messages below the checkpoint were filtered out: still resolve so the commit catches up.
    if (messages.length === 0) {
      payload.resolveOffset(batch.lastOffset());
      await this.applied(payload, topic, partition, batch.lastOffset(), batch.messages.length);
    }
  }

  /**
   * Records a chunk the store holds; commits every partition's applied offsets when the policy
   * says so (or the consumer is stopping), else makes sure a timer commits them if nothing else comes.
   */
  private async applied(payload: EachBatchPayload, topic: string, partition: number, lastOffset: string, events: number): Promise<void> {
    this.uncommitted.set(partitionKey(topic, partition), { topic, partition, offset: String(BigInt(lastOffset) + 1n) });
    if (this.commitPolicy.applied(events) || this.stopping.signal.aborted) {
      // Through the batch's own handle: it commits even while the consumer is being stopped.
      await this.commitApplied((offsets) => payload.commitOffsetsIfNecessary({ topics: offsetsByTopic(offsets) }));
      return;
    }
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      this.commitApplied((offsets) => this.consumer.commitOffsets(offsets)).catch((error: unknown) =>
        this.options.chunk.log.warn({ err: describeFailure(error) }, 'applied offsets not committed to Kafka; next time'),
      );
    }, this.commitPolicy.limits.intervalMs).unref();
  }

  private async commitApplied(commit: (offsets: TopicPartitionOffset[]) => Promise<void>): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    if (this.uncommitted.size === 0) return;
    const offsets = [...this.uncommitted.values()];
    this.uncommitted.clear();
    this.commitPolicy.committed();
    try {
      await commit(offsets);
    } catch (error) {
      // Not committed: offer them again unless a later chunk already replaced them.
      for (const offset of offsets) {
        const key = partitionKey(offset.topic, offset.partition);
        if (!this.uncommitted.has(key)) this.uncommitted.set(key, offset);
      }
      throw error;
    }
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function offsetsByTopic(offsets: readonly TopicPartitionOffset[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = byTopic.get(topic) ?? [];
    partitions.push({ partition, offset });
    byTopic.set(topic, partitions);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
