// Applies one chunk of a partition's messages to a projection's store, in offset order:
// decodable events of unparked keys go to the store in as few batches as possible; poison
// messages and every later message of their key go to the DLQ first (acknowledged before
// the checkpoint moves past them). When the store rejects a batch non-retriably, the
// segment is applied event by event to find the event at fault, which is parked after
// `poisonAttempts` failures. Transient failures are retried forever (transientRetry.ts).
import type pg from 'pg';
import type pino from 'pino';
import { CheckpointMismatch } from '../../lib/errors.ts';
import { tracingActive } from '../../lib/tracing.ts';
import type { EventType } from '../../schemas/eventCatalog.ts';
import type { EventCodec } from '../../schemas/eventCodec.ts';
import type { ProjectionEvent, ProjectionStore } from '../projection.ts';
import { traceAppliedEvents } from './applyTracing.ts';
import type { DeadLetterWriter } from './deadLetterQueue.ts';
import type { EmitLifecycle } from './lifecycleEvents.ts';
import { decodeMessage, decodeMessageNow, messageKey, type DecodedMessage, type RawMessage } from './messageDecoding.ts';
import type { ParkedKeyCache } from './parkedKeyCache.ts';
import { parkBehind, parkKey } from './parkedKeysTable.ts';
import { dlqReasonLabel, freshnessStagesOf, type ProjectorMetrics } from './projectorMetrics.ts';
import { describeFailure, isConsumerGroupChange } from './retriableFailure.ts';
import { INTERRUPTED, retryWhileTransient, type Interrupted, type RetryControl } from './transientRetry.ts';

export interface ChunkMessage extends RawMessage {
  offset: string;
  /** The record's timestamp (ms since the epoch as text): when the connector read the change. */
  timestamp?: string;
}

export interface ChunkContext {
  projection: string;
  generation: number;
  store: ProjectionStore;
  codec: EventCodec;
  handled: ReadonlySet<EventType>;
  dlq: DeadLetterWriter;
  readPostgres: pg.Pool;
  parked: ParkedKeyCache;
  /** How often one event may fail non-retriably before it counts as poison. */
  poisonAttempts: number;
  metrics: ProjectorMetrics;
  emit: EmitLifecycle;
  log: pino.Logger;
}

export interface ChunkResult {
  applied: number;
  parked: number;
  skipped: number;
}

type DecodedEvent = Extract<DecodedMessage, { kind: 'event' }>;

interface Item {
  message: ChunkMessage;
  decoded: DecodedMessage;
}

/** When an item's change happened: an event's occurredAt, else the record timestamp (see PartitionBatch.sourceTimeMs). */
function sourceTimeOf({ message, decoded }: Item): number | undefined {
  if (decoded.kind === 'event') return decoded.occurredAt;
  const timestamp = Number(message.timestamp);
  return message.timestamp !== undefined && Number.isSafeInteger(timestamp) ? timestamp : undefined;
}

/** `receivedAt` (ms since the epoch): when the worker took the messages from Kafka, for the freshness stages. */
export function applyChunk(
  context: ChunkContext,
  control: RetryControl,
  topic: string,
  partition: number,
  messages: readonly ChunkMessage[],
  receivedAt?: number,
): Promise<ChunkResult | Interrupted> {
  return new ChunkRun(context, control, topic, partition, receivedAt).run(messages);
}

/**
 * Failures that say nothing about the events: the consumer group changing under a retry's
 * heartbeat, or a store checkpoint other than expected. They go to the consumer, never to
 * the search for poison.
 */
function notTheEvents(error: unknown): boolean {
  return error instanceof CheckpointMismatch || isConsumerGroupChange(error);
}

class ChunkRun {
  private readonly result: ChunkResult = { applied: 0, parked: 0, skipped: 0 };

  constructor(
    private readonly context: ChunkContext,
    private readonly control: RetryControl,
    private readonly topic: string,
    private readonly partition: number,
    private readonly receivedAt: number | undefined,
  ) {}

  async run(messages: readonly ChunkMessage[]): Promise<ChunkResult | Interrupted> {
    const last = messages.at(-1);
    if (!last) return this.result;
    const { codec, handled, parked } = this.context;
    let segment: Item[] = [];
    let lastItem: Item | undefined;
    for (const message of messages) {
      const position = { topic: this.topic, partition: this.partition, offset: message.offset };
      if (parked.isSkipped(this.topic, this.partition, message.offset)) {
        lastItem = { message, decoded: { kind: 'skipped', key: messageKey(message) } };
        segment.push(lastItem);
        continue;
      }
      // Synchronous unless the message names a writer schema the codec has yet to fetch.
      let decoded = decodeMessageNow(codec, handled, position, message);
      if (decoded === undefined) {
        const fetched = await this.retry(message.offset, () => decodeMessage(codec, handled, position, message));
        if (fetched === INTERRUPTED) return INTERRUPTED;
        decoded = fetched;
      }
      const item = { message, decoded };
      lastItem = item;
      if (decoded.kind !== 'poison' && !parked.has(decoded.key)) {
        segment.push(item);
        continue;
      }
      // Everything before a DLQ-bound message is written first, so each key keeps its order.
      if (segment.length && (await this.flush(segment, segment.at(-1)!)) === INTERRUPTED) return INTERRUPTED;
      segment = [];
      const outcome = await this.park(item);
      if (outcome === INTERRUPTED) return INTERRUPTED;
      if (!outcome) segment.push(item);
    }
    // Always ends with a write covering the last offset, even when it was skipped or parked.
    if ((await this.flush(segment, lastItem ?? { message: last, decoded: { kind: 'skipped', key: messageKey(last) } })) === INTERRUPTED) return INTERRUPTED;
    return this.result;
  }

  private retry<T>(offset: string, work: () => Promise<T>): Promise<T | Interrupted> {
    return retryWhileTransient({ topic: this.topic, partition: this.partition, offset }, this.control, work);
  }

  /** Writes the segment's events with the checkpoint moved to `lastItem` (the segment's last, or a parked message after it). */
  private async flush(segment: readonly Item[], lastItem: Item): Promise<void | Interrupted> {
    const lastOffset = lastItem.message.offset;
    const sourceTimeMs = sourceTimeOf(lastItem);
    const appliedItems: Item[] = [];
    const events: ProjectionEvent[] = [];
    for (const item of segment) {
      if (item.decoded.kind !== 'event') continue;
      appliedItems.push(item);
      events.push(item.decoded.event);
    }
    const writeStartedAt = Date.now();
    try {
      const done = await this.retry(lastOffset, () => this.context.store.applyBatch({ topic: this.topic, partition: this.partition, events, lastOffset, sourceTimeMs }));
      if (done === INTERRUPTED) return INTERRUPTED;
    } catch (error) {
      // Without events the failure is the checkpoint write itself: no event to blame.
      if (events.length === 0 || notTheEvents(error)) throw error;
      this.context.log.warn({ topic: this.topic, partition: this.partition, offset: lastOffset, err: describeFailure(error) }, 'store rejected a batch; applying its events one by one to find the poison');
      return this.flushOneByOne(segment, lastItem);
    }
    this.countApplied(appliedItems, writeStartedAt);
    this.result.skipped += segment.length - events.length;
  }

  private async flushOneByOne(segment: readonly Item[], lastItem: Item): Promise<void | Interrupted> {
    const lastOffset = lastItem.message.offset;
    for (const item of segment) {
      const { decoded } = item;
      if (decoded.kind !== 'event') {
        this.result.skipped += 1;
        continue;
      }
      // An earlier event of this segment may have parked the key.
      if (this.context.parked.has(decoded.key)) {
        const parked = await this.park(item);
        if (parked === INTERRUPTED) return INTERRUPTED;
        if (parked) continue;
      }
      const outcome = await this.applyOne(item.message, decoded);
      if (outcome === INTERRUPTED) return INTERRUPTED;
      if (outcome === 'applied') continue;
      const parked = await this.park({ message: item.message, decoded: { kind: 'poison', key: decoded.key, reason: outcome.poison } });
      if (parked === INTERRUPTED) return INTERRUPTED;
    }
    const sourceTimeMs = sourceTimeOf(lastItem);
    const done = await this.retry(lastOffset, () => this.context.store.applyBatch({ topic: this.topic, partition: this.partition, events: [], lastOffset, sourceTimeMs }));
    if (done === INTERRUPTED) return INTERRUPTED;
  }

  private async applyOne(message: ChunkMessage, decoded: DecodedEvent): Promise<'applied' | { poison: string } | Interrupted> {
    const { offset } = message;
    let lastError: unknown;
    for (let failures = 0; failures < this.context.poisonAttempts; failures++) {
      const writeStartedAt = Date.now();
      try {
        const done = await this.retry(offset, () =>
          this.context.store.applyBatch({ topic: this.topic, partition: this.partition, events: [decoded.event], lastOffset: offset, sourceTimeMs: decoded.occurredAt }),
        );
        if (done === INTERRUPTED) return INTERRUPTED;
        this.countApplied([{ message, decoded }], writeStartedAt);
        return 'applied';
      } catch (error) {
        if (notTheEvents(error)) throw error;
        lastError = error;
        this.context.log.warn({ topic: this.topic, partition: this.partition, offset, eventId: decoded.eventId, attempt: failures + 1, err: describeFailure(error) }, 'event failed non-retriably');
      }
    }
    return { poison: describeFailure(lastError) };
  }

  /** Sends the message to the DLQ and records it; false when its key turned out to be no longer parked. */
  private async park(item: Item): Promise<boolean | Interrupted> {
    const { projection, generation, parked, readPostgres, dlq } = this.context;
    const { message, decoded } = item;
    const key = decoded.key;
    const poisonReason = decoded.kind === 'poison' ? decoded.reason : undefined;
    const firstOffset = parked.firstOffsetOf(key);
    // A message behind a parked key that is poison itself says so too: the operator must skip it as well.
    const reason = firstOffset === undefined ? (poisonReason ?? 'poison') : `parked behind ${firstOffset}${poisonReason ? `; itself poison: ${poisonReason}` : ''}`;
    const where = { topic: this.topic, partition: this.partition, offset: message.offset };
    const dlqOffset = await this.retry(message.offset, () => dlq.park({ projection, generation, ...where, reason, message }));
    if (dlqOffset === INTERRUPTED) return INTERRUPTED;
    const id = { projection, generation, key };
    if (firstOffset !== undefined) {
      const stillParked = await this.retry(message.offset, () => parkBehind(readPostgres, id, dlqOffset));
      if (stillParked === INTERRUPTED) return INTERRUPTED;
      if (!stillParked) {
        // `outflow dlq retry|skip` resolved the key after everything before this message.
        parked.delete(key);
        this.context.log.info({ ...where, key }, 'key was unparked meanwhile; applying instead of parking');
        return poisonReason === undefined ? false : this.park(item);
      }
    } else {
      const recorded = await this.retry(message.offset, () => parkKey(readPostgres, { ...id, ...where, reason, dlqOffset }));
      if (recorded === INTERRUPTED) return INTERRUPTED;
      parked.add(key, message.offset);
    }
    this.result.parked += 1;
    this.context.metrics.dlqMessages.inc({ projection, reason: dlqReasonLabel(reason) });
    this.context.log.warn({ ...where, key, reason, dlqOffset, eventId: decoded.kind === 'event' ? decoded.eventId : undefined }, 'message parked in the DLQ');
    this.context.emit('parked', { projection, generation, key, ...where, reason, dlqOffset, first: firstOffset === undefined });
    return true;
  }

  private countApplied(items: readonly Item[], writeStartedAt: number): void {
    if (!items.length) return;
    const { metrics, projection, generation } = this.context;
    this.result.applied += items.length;
    metrics.eventsApplied.inc({ projection }, items.length);
    // The labels bound once per chunk rather than per event.
    const freshness = metrics.freshness.labels({ projection });
    const stages = this.receivedAt === undefined ? undefined : freshnessStagesOf(metrics, projection);
    const now = Date.now();
    for (const { message, decoded } of items) {
      const { occurredAt } = decoded as DecodedEvent;
      freshness.observe(Math.max(0, now - occurredAt) / 1000);
      const recordedAt = Number(message.timestamp);
      if (!stages || !(recordedAt > 0)) continue;
      stages.capture.observe(Math.max(0, recordedAt - occurredAt) / 1000);
      stages.delivery.observe(Math.max(0, this.receivedAt! - recordedAt) / 1000);
      stages.apply.observe(Math.max(0, now - this.receivedAt!) / 1000);
    }
    if (!tracingActive()) return;
    traceAppliedEvents(
      projection,
      generation,
      items.map(({ message, decoded }) => ({ message, event: (decoded as DecodedEvent).event, eventId: (decoded as DecodedEvent).eventId })),
      { receivedAt: this.receivedAt, writeStartedAt, writtenAt: now },
    );
  }
}
