// `outflow dlq retry|skip`: re-applies a parked key's DLQ messages, in order, through the
// projection's store, then unparks the key.
//
// The store sees them as a log of their own: topic dlq.<projection>, partition = the
// parking's episode number, offset = the DLQ offset. Its checkpoint guard therefore makes a
// re-run apply nothing twice, and the head_dlq_offset column records how far a retry got.
// The row is deleted only if no message was parked after the last one applied
// (parkedKeysTable.ts); otherwise the loop applies the newcomers and tries again. A live
// worker that then finds the row gone applies the key's next events itself.
import type { Kafka } from 'kafkajs';
import type pino from 'pino';
import type { Config } from '../../lib/config.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import { dlqTopicOf, type ProjectionDefinition, type ProjectionStore } from '../projection.ts';
import { readDlqRange, type DlqMessage } from './dlqReader.ts';
import { decodeMessage, headerText, messageKey } from './messageDecoding.ts';
import { advanceHead, ensureParkedKeysTable, listParkedKeys, readParkedKey, unparkIfUnchanged, type ParkedKey, type ParkedKeyId } from './parkedKeysTable.ts';
import { describeFailure, isRetriable } from './retriableFailure.ts';
import { ensureSkippedMessagesTable, recordSkippedMessage } from './skippedMessagesTable.ts';
import { openStoreConnections, type OpenStoreConnections } from './storeConnections.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';

export type ResolveOutcome =
  | { key: string; status: 'unparked'; applied: number; skipped: number }
  | { key: string; status: 'still-parked'; applied: number; skipped: number; dlqOffset: string; reason: string }
  | { key: string; status: 'not-parked' };

// Each round re-reads the row; many rounds mean the worker keeps parking faster than we apply.
const MAX_ROUNDS = 20;

export class DlqResolver {
  private constructor(
    private readonly definition: ProjectionDefinition,
    private readonly generation: number,
    private readonly stores: OpenStoreConnections,
    private readonly store: ProjectionStore,
    private readonly codec: EventCodec,
    private readonly kafka: Kafka,
    private readonly log: pino.Logger,
  ) {}

  static async open(config: Config, definition: ProjectionDefinition, generation: number, log: pino.Logger): Promise<DlqResolver> {
    const stores = openStoreConnections(config);
    try {
      await ensureParkedKeysTable(stores.connections.readPostgres);
      await ensureSkippedMessagesTable(stores.connections.readPostgres);
      const store = definition.createStore(stores.connections, generation);
      const codec = await EventCodec.connect(config);
      const kafka = kafkaClient(config, 'dlq', { log });
      return new DlqResolver(definition, generation, stores, store, codec, kafka, log);
    } catch (error) {
      await stores.close();
      throw error;
    }
  }

  list(): Promise<ParkedKey[]> {
    return listParkedKeys(this.stores.connections.readPostgres, this.definition.name, this.generation);
  }

  /** Applies the key's parked messages (dropping the first one when `skipFirst`), then unparks it. */
  async resolve(key: string, { skipFirst = false }: { skipFirst?: boolean } = {}): Promise<ResolveOutcome> {
    const pool = this.stores.connections.readPostgres;
    const id: ParkedKeyId = { projection: this.definition.name, generation: this.generation, key };
    let applied = 0;
    let skipped = 0;
    let skipPending = skipFirst;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await readParkedKey(pool, id);
      if (!row) return round === 0 ? { key, status: 'not-parked' } : { key, status: 'unparked', applied, skipped };
      for (const message of await this.messagesOf(row)) {
        if (skipPending) {
          skipPending = false;
          skipped += 1;
          const reason = headerText(message.headers, 'dlqReason') ?? 'poison';
          const source = sourcePositionOf(message);
          // Recorded before the head moves: a crash in between leaves the key parked, and the re-run records it again.
          if (source) await recordSkippedMessage(pool, { projection: this.definition.name, ...source, reason });
          await advanceHead(pool, id, String(BigInt(message.dlqOffset) + 1n));
          this.log.warn({ key, dlqOffset: message.dlqOffset, reason, source }, 'poison message dropped');
          continue;
        }
        const failure = await this.applyOne(row, message);
        if (failure !== undefined) {
          await advanceHead(pool, id, message.dlqOffset, failure);
          return { key, status: 'still-parked', applied, skipped, dlqOffset: message.dlqOffset, reason: failure };
        }
        applied += 1;
        await advanceHead(pool, id, String(BigInt(message.dlqOffset) + 1n));
      }
      if (await unparkIfUnchanged(pool, id, row.lastDlqOffset)) {
        this.log.info({ key, applied, skipped }, 'key unparked');
        return { key, status: 'unparked', applied, skipped };
      }
    }
    return { key, status: 'still-parked', applied, skipped, dlqOffset: '', reason: `messages kept being parked during ${MAX_ROUNDS} rounds; run it again` };
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.stores.close();
  }

  private async messagesOf(row: ParkedKey): Promise<DlqMessage[]> {
    const messages = await readDlqRange(this.kafka, this.definition.name, row.headDlqOffset, row.lastDlqOffset);
    return messages.filter(
      (message) =>
        messageKey(message) === row.key &&
        headerText(message.headers, 'dlqProjection') === row.projection &&
        headerText(message.headers, 'dlqGeneration') === String(row.generation),
    );
  }

  /** Undefined when applied; otherwise why the message is still poison. Transient failures throw. */
  private async applyOne(row: ParkedKey, message: DlqMessage): Promise<string | undefined> {
    const position = { topic: dlqTopicOf(this.definition.name), partition: row.episode, offset: message.dlqOffset };
    const decoded = await decodeMessage(this.codec, new Set(this.definition.eventTypes), position, message);
    if (decoded.kind === 'poison') return decoded.reason;
    const events = decoded.kind === 'event' ? [decoded.event] : [];
    try {
      await this.store.applyBatch({ ...position, events, lastOffset: message.dlqOffset });
    } catch (error) {
      if (isRetriable(error)) throw error;
      return describeFailure(error);
    }
    this.log.info({ key: row.key, dlqOffset: message.dlqOffset, eventId: decoded.kind === 'event' ? decoded.eventId : undefined }, 'parked message applied');
    return undefined;
  }
}

/** Where a DLQ message came from in the event topics (the dlqOriginal* headers). */
function sourcePositionOf(message: DlqMessage): { topic: string; partition: number; offset: string } | undefined {
  const topic = headerText(message.headers, 'dlqOriginalTopic');
  const partition = Number(headerText(message.headers, 'dlqOriginalPartition'));
  const offset = headerText(message.headers, 'dlqOriginalOffset');
  if (!topic || !Number.isInteger(partition) || !offset) return undefined;
  return { topic, partition, offset };
}
