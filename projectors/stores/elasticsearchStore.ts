// The Elasticsearch store adapter. An Elasticsearch projection is a name, a version, its
// index mapping and pure handlers that turn an event into document updates
// (elasticsearchDocumentMerge.ts); this adapter owns the rest: the generation's index, the
// alias pointer, checkpoints, and writing a batch without scripts: mget the partition's checkpoint
// and the documents, merge the updates whose source version is newer, bulk-write with
// if_seq_no/if_primary_term (or create for new documents), and re-read and re-merge the documents another writer changed
// meanwhile. The partition's checkpoint is written only after the bulk succeeded. The chunks of
// several partitions handed over in the same turn of the event loop go together: one mget of
// their checkpoints and documents, one bulk, one bulk of the conditional checkpoint writes
// (each partition's outcome its own), since Elasticsearch's cost is mostly per request.
import type { estypes, Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type pino from 'pino';
import { CheckpointMismatch, ElasticsearchBulkFailed } from '../../lib/errors.ts';
import type { Config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import type { PartitionBatch, PartitionFreshness, ProjectionDefinition, ProjectionEvent, ProjectionStore, StoreConnections } from '../projection.ts';
import { checkedHandlers, handledEventTypes, handlerDispatch } from './eventHandlers.ts';
import { checkUpdate, groupUpdatesById, mergeDocumentUpdates, type DocumentUpdate, type ElasticsearchHandlers, type StoredDocument } from './elasticsearchDocumentMerge.ts';
import { CHECKPOINT_INDEX, elasticsearchAliasOf, elasticsearchCheckpointId, elasticsearchIndexOf, liveElasticsearchGeneration } from './elasticsearchLayout.ts';

export type { DocumentUpdate, ElasticsearchHandlers } from './elasticsearchDocumentMerge.ts';

/** Rounds of re-read and re-merge for documents another writer changed under us. */
const MAX_CONFLICT_ROUNDS = 8;

/** Events written together at most; more chunks handed over at once go in further groups. */
const MAX_GROUP_EVENTS = 2_000;

/**
 * How an Elasticsearch projection's consumer fetches. Searches see a write only after the next
 * refresh (1 s by default), so waiting up to 200 ms for more events costs searches little, and
 * fewer, larger groups of chunks cut Elasticsearch's per-request work; all partitions of a fetch
 * are taken at once so that their chunks go together.
 */
export const ELASTICSEARCH_FETCH = { maxWaitTimeInMs: 200, minBytes: 64 * 1024, partitionsAtOnce: 64 } as const;

const checkpointMappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    projection: { type: 'keyword' },
    generation: { type: 'integer' },
    topic: { type: 'keyword' },
    partition: { type: 'integer' },
    offset: { type: 'keyword' },
    sourceTimeMs: { type: 'long' },
  },
};

interface CheckpointDocument {
  projection: string;
  generation: number;
  topic: string;
  partition: number;
  offset: string;
  /** When the change at `offset` happened (ms since the epoch); absent when not known. */
  sourceTimeMs?: number;
}

type MgetDocument = estypes.MgetResponseItem<StoredDocument>;

/** A partition's checkpoint as read, with what a conditional write of it needs. */
interface StoredCheckpoint {
  offset: string;
  sourceTimeMs?: number;
  seqNo: number;
  primaryTerm: number;
}

/** The stored checkpoint in a GET or mget answer; undefined when there is none (or no checkpoint index yet). */
function storedCheckpointOf(found: estypes.GetGetResult<CheckpointDocument> | estypes.MgetResponseItem<CheckpointDocument>): StoredCheckpoint | undefined {
  if (!('found' in found) || !found.found || !found._source || found._seq_no === undefined || found._primary_term === undefined) return undefined;
  const { offset, sourceTimeMs } = found._source;
  return { offset, seqNo: found._seq_no, primaryTerm: found._primary_term, ...(sourceTimeMs === undefined ? {} : { sourceTimeMs }) };
}

export interface ElasticsearchProjectionDefinition extends ProjectionDefinition {
  mappings: estypes.MappingTypeMapping;
  /** The document updates the projection's handler gives for one event (none for an unhandled type). */
  updatesFor(event: ProjectionEvent): readonly DocumentUpdate[];
}

export function defineElasticsearchProjection(spec: {
  name: string;
  version: number;
  mappings: estypes.MappingTypeMapping;
  handlers: ElasticsearchHandlers;
}): ElasticsearchProjectionDefinition {
  const { name, version, mappings, handlers } = spec;
  return elasticsearchDefinition({
    name,
    version,
    eventTypes: handledEventTypes(handlers),
    mappings,
    fetch: ELASTICSEARCH_FETCH,
    updatesFor: handlerDispatch<readonly DocumentUpdate[]>(handlers, []),
  });
}

/** The same projection under another name, reading `topics` when given (a benchmark's copy, a test's own). */
export function renamedElasticsearchProjection(definition: ElasticsearchProjectionDefinition, name: string, topics?: readonly string[]): ElasticsearchProjectionDefinition {
  return elasticsearchDefinition({ ...definition, name, ...(topics ? { topics } : {}) });
}

// Its stores and its alias are named by `name`: a copy under another name is built here again,
// never spread from the original, whose functions would still write under the original's name.
function elasticsearchDefinition(base: Omit<ElasticsearchProjectionDefinition, 'createStore' | 'liveGeneration'>): ElasticsearchProjectionDefinition {
  const definition: ElasticsearchProjectionDefinition = {
    ...base,
    createStore: (connections: StoreConnections, generation: number) => new ElasticsearchProjectionStore(connections, generation, definition),
    liveGeneration: (connections: StoreConnections) => liveElasticsearchGeneration(connections.elasticsearch, base.name),
  };
  return Object.freeze(definition);
}

/** What one applyBatch did (tests and benchmarks read it). */
export interface AppliedEsBatch {
  /** Events above the checkpoint, handed to the handlers. */
  applied: number;
  /** Events at or below the checkpoint, skipped. */
  alreadyApplied: number;
  /** Documents written. */
  written: number;
  /** Documents re-read because another writer changed them between mget and bulk. */
  conflicts: number;
}

type Projected = ReturnType<ElasticsearchProjectionStore['projectCaught']>;

/** A chunk waiting to be written with the others handed over in the same turn. */
interface QueuedBatch {
  batch: PartitionBatch;
  resolve: (applied: AppliedEsBatch) => void;
  reject: (error: unknown) => void;
}

export class ElasticsearchProjectionStore implements ProjectionStore {
  readonly index: string;
  private queued: QueuedBatch[] = [];
  private readonly es: ElasticsearchClient;
  private readonly generation: number;
  private readonly log: pino.Logger;
  private readonly projectEvent: (event: ProjectionEvent) => readonly DocumentUpdate[];
  private readonly settings: Config['elasticsearch'];

  constructor(connections: StoreConnections, generation: number, private readonly definition: ElasticsearchProjectionDefinition) {
    this.projectEvent = checkedHandlers(definition.name, definition.updatesFor, checkUpdate);
    this.es = connections.elasticsearch;
    this.settings = connections.config.elasticsearch;
    this.generation = generation;
    this.index = elasticsearchIndexOf(definition.name, generation);
    this.log = createLogger(`elasticsearch-store:${definition.name}`, connections.config.logLevel);
  }

  /** Creates the checkpoint index and the generation's index if missing; points the alias here only if it points nowhere yet. */
  async init(): Promise<void> {
    // The checkpoints are a few documents per partition: one shard, whatever the read models have.
    await this.createIndexIfMissing(CHECKPOINT_INDEX, checkpointMappings, 1);
    // A checkpoint index from before source times were recorded gains the field (a no-op when it has it).
    await this.es.indices.putMapping({ index: CHECKPOINT_INDEX, properties: { sourceTimeMs: { type: 'long' } } });
    await this.createIndexIfMissing(this.index, this.definition.mappings, this.settings.shards);
    const alias = elasticsearchAliasOf(this.definition.name);
    if (!(await this.es.indices.existsAlias({ name: alias }))) {
      await this.es.indices.updateAliases({ actions: [{ add: { index: this.index, alias } }] });
      this.log.info({ generation: this.generation, alias, index: this.index }, 'alias set to this generation');
    }
  }

  async readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>> {
    if (partitions !== undefined) return this.readCheckpointsById(topic, partitions);
    // Searches see only refreshed writes; a worker taking over a partition must see the last checkpoint.
    await this.es.indices.refresh({ index: CHECKPOINT_INDEX });
    const found = await this.es.search<CheckpointDocument>({
      index: CHECKPOINT_INDEX,
      size: 10_000,
      query: { bool: { filter: [{ term: { projection: this.definition.name } }, { term: { generation: this.generation } }, { term: { topic } }] } },
    });
    const checkpoints = new Map<number, string>();
    for (const hit of found.hits.hits) if (hit._source) checkpoints.set(hit._source.partition, hit._source.offset);
    return checkpoints;
  }

  /** The named partitions' checkpoints by id: a multi-get is real-time, so it needs no refresh. */
  private async readCheckpointsById(topic: string, partitions: readonly number[]): Promise<Map<number, string>> {
    const checkpoints = new Map<number, string>();
    if (partitions.length === 0) return checkpoints;
    const ids = partitions.map((partition) => elasticsearchCheckpointId(this.definition.name, this.generation, topic, partition));
    const found = await this.es.mget<CheckpointDocument>({ index: CHECKPOINT_INDEX, ids }, { ignore: [404] });
    // A 404 means the checkpoint index does not exist yet: no checkpoints.
    for (const doc of found.docs ?? []) {
      if ('found' in doc && doc.found && doc._source) checkpoints.set(doc._source.partition, doc._source.offset);
    }
    return checkpoints;
  }

  /** Without the refresh readCheckpoints makes: each reader would force one a second otherwise. */
  async readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    const found = await this.es.search<CheckpointDocument>({
      index: CHECKPOINT_INDEX,
      size: 10_000,
      query: { bool: { filter: [{ term: { projection: this.definition.name } }, { term: { generation: this.generation } }, { term: { topic } }] } },
    });
    const freshness = new Map<number, PartitionFreshness>();
    for (const hit of found.hits.hits) {
      const source = hit._source;
      if (source) freshness.set(source.partition, source.sourceTimeMs === undefined ? { offset: source.offset } : { offset: source.offset, sourceTimeMs: source.sourceTimeMs });
    }
    return freshness;
  }

  /**
   * Applies the batch with its checkpoint; returns what it did (tests and benchmarks read it).
   * The chunk is queued: the chunks handed over in this turn of the event loop are written
   * together (applyTogether), a chunk alone in its turn the same way.
   */
  applyBatch(batch: PartitionBatch): Promise<AppliedEsBatch> {
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => void this.writeQueued());
      this.queued.push({ batch, resolve, reject });
    });
  }

  private async writeQueued(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    const groups: QueuedBatch[][] = [];
    let events = Infinity;
    for (const entry of queued) {
      if (events + entry.batch.events.length > MAX_GROUP_EVENTS) {
        groups.push([]);
        events = 0;
      }
      groups.at(-1)!.push(entry);
      events += entry.batch.events.length;
    }
    await Promise.all(groups.map((group) => this.applyTogether(group)));
  }

  /**
   * One or several partitions' chunks in three requests. Each chunk fails or succeeds on its own: a
   * handler's failure or a checkpoint that moved fails only its chunk, a checkpoint write that
   * conflicted retries alone. A document write that failed for another reason than a version
   * conflict could be any chunk's doing, so then every chunk is written again by itself
   * (documents already written merge to no change: their versions are already there).
   */
  private async applyTogether(group: QueuedBatch[]): Promise<void> {
    // Every event is projected before the checkpoint is known, to fetch its documents with it. A
    // handler's failure counts only for an event above the checkpoint, as if projected after it.
    const entries = group.map((queued) => ({ ...queued, projected: queued.batch.events.map((event) => this.projectCaught(event)) }));
    let read: { checkpoints: (StoredCheckpoint | undefined)[]; documents: MgetDocument[] };
    try {
      read = await this.readCheckpointsAndDocuments(entries.map(({ batch }) => batch), entries.flatMap(({ projected }) => [...documentIdsOf(projected)]));
    } catch (error) {
      for (const { reject } of entries) reject(error);
      return;
    }
    const live: { queued: QueuedBatch; stored: StoredCheckpoint | undefined; fresh: number; ids: Set<string> }[] = [];
    const updates: DocumentUpdate[] = [];
    entries.forEach((entry, i) => {
      const stored = read.checkpoints[i];
      try {
        const checked = this.freshUpdates(entry.batch, entry.projected, stored);
        updates.push(...checked.updates);
        live.push({ queued: entry, stored, fresh: checked.fresh.length, ids: new Set(checked.updates.map((update) => update.id)) });
      } catch (error) {
        entry.reject(error);
      }
    });
    if (live.length === 0) return;
    let written: Set<string>;
    let conflicts: string[];
    try {
      ({ written, conflicts } = await this.writeDocuments(groupUpdatesById(updates), read.documents));
    } catch (error) {
      if (error instanceof ElasticsearchBulkFailed && !error.retriable && live.length > 1) {
        // A group of one never comes back here: its failure is its own.
        for (const { queued } of live) await this.applyTogether([queued]);
      } else {
        for (const { queued } of live) queued.reject(error);
      }
      return;
    }
    const outcomes = await this.advanceCheckpoints(live.map(({ queued, stored }) => ({ batch: queued.batch, stored })));
    live.forEach(({ queued: { batch, resolve, reject }, fresh, ids }, i) => {
      const failure = outcomes[i];
      if (failure !== undefined) return reject(failure);
      resolve(
        this.appliedCounts(batch, {
          applied: fresh,
          alreadyApplied: batch.events.length - fresh,
          written: [...ids].filter((id) => written.has(id)).length,
          conflicts: conflicts.filter((id) => ids.has(id)).length,
        }),
      );
    });
  }

  /** The events above the stored checkpoint and their document updates; throws for a moved checkpoint or a failed handler. */
  private freshUpdates(batch: PartitionBatch, projected: readonly Projected[], stored: StoredCheckpoint | undefined): { fresh: Projected[]; updates: DocumentUpdate[] } {
    const { expectedCheckpoint } = batch;
    if (expectedCheckpoint !== undefined && (stored?.offset ?? null) !== expectedCheckpoint) {
      throw new CheckpointMismatch(this.definition.name, { topic: batch.topic, partition: batch.partition }, expectedCheckpoint, stored?.offset ?? null);
    }
    const checkpoint = stored === undefined ? undefined : BigInt(stored.offset);
    const fresh = projected.filter(({ event }) => checkpoint === undefined || BigInt(event.offset) > checkpoint);
    const updates: DocumentUpdate[] = [];
    for (const { updates: eventUpdates, failure } of fresh) {
      if (failure !== undefined) throw failure.error;
      updates.push(...eventUpdates);
    }
    return { fresh, updates };
  }

  private appliedCounts(batch: PartitionBatch, counts: AppliedEsBatch): AppliedEsBatch {
    this.log.debug({ topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset, generation: this.generation, ...counts }, 'batch applied');
    return counts;
  }

  /** Deletes the generation's index (and with it the alias, if it pointed here) and its checkpoints. */
  async truncate(): Promise<void> {
    await this.es.indices.delete({ index: this.index }, { ignore: [404] });
    // No delete_by_query on the stack's Elasticsearch: find the checkpoint ids, bulk-delete them.
    await this.es.indices.refresh({ index: CHECKPOINT_INDEX }, { ignore: [404] });
    const found = await this.es.search(
      {
        index: CHECKPOINT_INDEX,
        size: 10_000,
        _source: false,
        query: { bool: { filter: [{ term: { projection: this.definition.name } }, { term: { generation: this.generation } }] } },
      },
      { ignore: [404] },
    );
    const ids = (found.hits?.hits ?? []).map((hit) => hit._id).filter((id): id is string => id !== undefined);
    if (ids.length > 0) await this.es.bulk({ operations: ids.map((id) => ({ delete: { _index: CHECKPOINT_INDEX, _id: id } })) });
    this.log.info({ generation: this.generation, index: this.index, checkpoints: ids.length }, 'generation truncated');
  }

  /** Moves the alias to this generation's index: every remove and the add in one `_aliases` request, which Elasticsearch applies atomically. */
  async activate(): Promise<void> {
    const alias = elasticsearchAliasOf(this.definition.name);
    const current = Object.keys(await this.es.indices.getAlias({ name: alias }, { ignore: [404] })).filter((index) => index !== this.index && index.startsWith('outflow-'));
    await this.es.indices.updateAliases({ actions: [...current.map((index) => ({ remove: { index, alias } })), { add: { index: this.index, alias } }] });
    this.log.info({ generation: this.generation, alias, index: this.index, from: current }, 'alias moved to this generation');
  }

  /** Makes everything written so far searchable now instead of within the refresh interval. */
  async refresh(): Promise<void> {
    await this.es.indices.refresh({ index: this.index });
  }

  /** The Elasticsearch client belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  private async createIndexIfMissing(index: string, mappings: estypes.MappingTypeMapping, shards: number): Promise<void> {
    if (await this.es.indices.exists({ index })) return;
    const { replicas } = this.settings;
    const replicaSettings = 'count' in replicas ? { number_of_replicas: replicas.count } : { auto_expand_replicas: replicas.autoExpand };
    // Another worker may create it between the check and here: its "already exists" is success.
    await this.es.indices.create({ index, mappings, settings: { number_of_shards: shards, ...replicaSettings } }, { ignore: [400] });
    if (!(await this.es.indices.exists({ index }))) throw new Error(`could not create Elasticsearch index ${index}`);
  }

  /** The event's updates, or the handler's failure (a bug in the projection) to throw if the event is to be applied. */
  private projectCaught(event: ProjectionEvent): { event: ProjectionEvent; updates: readonly DocumentUpdate[]; failure?: undefined } | { event: ProjectionEvent; updates?: undefined; failure: { error: unknown } } {
    try {
      return { event, updates: this.projectEvent(event) };
    } catch (error) {
      return { event, failure: { error } };
    }
  }

  /** Several partitions' checkpoints and the named documents in one real-time mget. */
  private async readCheckpointsAndDocuments(batches: readonly PartitionBatch[], ids: readonly string[]): Promise<{ checkpoints: (StoredCheckpoint | undefined)[]; documents: MgetDocument[] }> {
    const checkpointDocs = batches.map(({ topic, partition }) => ({ _index: CHECKPOINT_INDEX, _id: elasticsearchCheckpointId(this.definition.name, this.generation, topic, partition) }));
    const documentDocs = [...new Set(ids)].map((id) => ({ _index: this.index, _id: id }));
    const found = await this.es.mget<CheckpointDocument | StoredDocument>({ docs: [...checkpointDocs, ...documentDocs] });
    return {
      checkpoints: found.docs.slice(0, batches.length).map((doc) => storedCheckpointOf(doc as estypes.MgetResponseItem<CheckpointDocument>)),
      documents: found.docs.slice(batches.length) as MgetDocument[],
    };
  }

  private async readCheckpoint(topic: string, partition: number): Promise<StoredCheckpoint | undefined> {
    // A GET by id is real-time: no refresh needed.
    const id = elasticsearchCheckpointId(this.definition.name, this.generation, topic, partition);
    return storedCheckpointOf(await this.es.get<CheckpointDocument>({ index: CHECKPOINT_INDEX, id }, { ignore: [404] }));
  }

  /**
   * Moves the checkpoint to the batch's last offset, never backwards, and only if the document is
   * still the one read before (if_seq_no): a checked batch's check then holds until the checkpoint
   * moves. When it changed meanwhile, the documents were written above a checkpoint that is no
   * longer the one checked: unless it moved to or past this batch, the batch counts as not applied
   * (CheckpointMismatch) and the worker re-applies from the stored checkpoint, which per-source
   * versions make harmless. An unchecked batch (the DLQ resolver) reads again and retries.
   */
  private async advanceCheckpoint(batch: PartitionBatch, read: StoredCheckpoint | undefined): Promise<void> {
    const { topic, partition, lastOffset } = batch;
    const id = elasticsearchCheckpointId(this.definition.name, this.generation, topic, partition);
    for (let current = read; ; ) {
      if (current !== undefined && BigInt(current.offset) >= BigInt(lastOffset)) return;
      const document = this.checkpointDocument(batch, current);
      const condition = current ? { if_seq_no: current.seqNo, if_primary_term: current.primaryTerm } : { op_type: 'create' as const };
      const written = await this.es.index({ index: CHECKPOINT_INDEX, id, document, ...condition }, { ignore: [409] });
      if (written.result === 'created' || written.result === 'updated') return;
      const now = await this.readCheckpoint(topic, partition);
      if (batch.expectedCheckpoint !== undefined && (now === undefined || BigInt(now.offset) < BigInt(lastOffset))) {
        throw new CheckpointMismatch(this.definition.name, { topic, partition }, read?.offset ?? null, now?.offset ?? null);
      }
      current = now;
    }
  }

  /**
   * advanceCheckpoint for several chunks, their first conditional writes in one bulk; a chunk
   * whose write conflicted goes on alone. Per chunk, undefined when its checkpoint moved, else why not.
   */
  private async advanceCheckpoints(chunks: readonly { batch: PartitionBatch; stored: StoredCheckpoint | undefined }[]): Promise<(unknown | undefined)[]> {
    const outcomes: (unknown | undefined)[] = chunks.map(() => undefined);
    const operations: object[] = [];
    const written: number[] = [];
    chunks.forEach(({ batch, stored }, i) => {
      if (stored !== undefined && BigInt(stored.offset) >= BigInt(batch.lastOffset)) return;
      const _id = elasticsearchCheckpointId(this.definition.name, this.generation, batch.topic, batch.partition);
      operations.push(
        stored ? { index: { _index: CHECKPOINT_INDEX, _id, if_seq_no: stored.seqNo, if_primary_term: stored.primaryTerm } } : { create: { _index: CHECKPOINT_INDEX, _id } },
        this.checkpointDocument(batch, stored),
      );
      written.push(i);
    });
    if (operations.length === 0) return outcomes;
    let result: estypes.BulkResponse;
    try {
      result = await this.es.bulk({ operations });
    } catch (error) {
      return chunks.map(() => error);
    }
    await Promise.all(
      result.items.map(async (item, k) => {
        const i = written[k]!;
        const outcome = item.index ?? item.create;
        if (!outcome?.error) return;
        const { batch, stored } = chunks[i]!;
        if (outcome.status !== 409) {
          outcomes[i] = new ElasticsearchBulkFailed(CHECKPOINT_INDEX, [{ id: outcome._id ?? '', status: outcome.status, reason: outcome.error.reason ?? outcome.error.type }], outcome.status === 429 || outcome.status >= 500);
          return;
        }
        try {
          await this.advanceCheckpoint(batch, stored);
        } catch (error) {
          outcomes[i] = error;
        }
      }),
    );
    return outcomes;
  }

  private checkpointDocument(batch: PartitionBatch, current: StoredCheckpoint | undefined): CheckpointDocument {
    const { topic, partition, lastOffset } = batch;
    const base: CheckpointDocument = { projection: this.definition.name, generation: this.generation, topic, partition, offset: lastOffset };
    // A batch without a source time keeps the one stored: the document is written whole.
    const sourceTimeMs = batch.sourceTimeMs ?? current?.sourceTimeMs;
    return sourceTimeMs === undefined ? base : { ...base, sourceTimeMs };
  }

  /** `fetched`: the documents as read with the checkpoint, for the first round (later rounds read again). */
  private async writeDocuments(pending: Map<string, DocumentUpdate[]>, fetched: readonly MgetDocument[]): Promise<{ written: Set<string>; conflicts: string[] }> {
    const written = new Set<string>();
    const conflicts: string[] = [];
    let documents: readonly MgetDocument[] | undefined = fetched;
    for (let round = 1; pending.size > 0; round++) {
      const { writtenNow, conflicted } = await this.writeRound(pending, documents);
      documents = undefined;
      for (const id of writtenNow) written.add(id);
      if (conflicted.length === 0) break;
      conflicts.push(...conflicted);
      if (round >= MAX_CONFLICT_ROUNDS) {
        throw new ElasticsearchBulkFailed(this.index, conflicted.map((id) => ({ id, status: 409, reason: `still conflicting after ${round} rounds` })), true);
      }
      pending = new Map(conflicted.map((id) => [id, pending.get(id) ?? []]));
    }
    return { written, conflicts };
  }

  /**
   * One mget → merge → bulk round (the mget skipped when `documents` were read already); returns
   * how many documents it wrote and the ids whose write hit a version conflict.
   */
  private async writeRound(pending: Map<string, DocumentUpdate[]>, documents?: readonly MgetDocument[]): Promise<{ writtenNow: string[]; conflicted: string[] }> {
    const docs = documents ?? (await this.es.mget<StoredDocument>({ index: this.index, ids: [...pending.keys()] })).docs;
    const operations: object[] = [];
    const ids: string[] = [];
    for (const doc of docs) {
      // Read with the checkpoint, `documents` may name documents only already-applied events touch.
      const updates = pending.get(doc._id);
      if (updates === undefined) continue;
      const exists = 'found' in doc && doc.found;
      const merged = mergeDocumentUpdates(exists ? doc._source : undefined, updates);
      if (merged === undefined) continue;
      const action = exists
        ? { index: { _index: this.index, _id: doc._id, if_seq_no: doc._seq_no, if_primary_term: doc._primary_term } }
        : { create: { _index: this.index, _id: doc._id } };
      operations.push(action, merged);
      ids.push(doc._id);
    }
    if (ids.length === 0) return { writtenNow: [], conflicted: [] };
    const result = await this.es.bulk({ operations });
    if (!result.errors) return { writtenNow: ids, conflicted: [] };
    const conflicted: string[] = [];
    const failures: { id: string; status: number; reason: string }[] = [];
    for (const item of result.items) {
      const outcome = item.index ?? item.create;
      if (!outcome?.error) continue;
      const id = outcome._id ?? '';
      if (outcome.status === 409) conflicted.push(id);
      else failures.push({ id, status: outcome.status, reason: outcome.error.reason ?? outcome.error.type });
    }
    if (failures.length > 0) {
      const retriable = failures.every((f) => f.status === 429 || f.status >= 500);
      throw new ElasticsearchBulkFailed(this.index, failures, retriable);
    }
    const refused = new Set(conflicted);
    return { writtenNow: ids.filter((id) => !refused.has(id)), conflicted };
  }
}

/** The documents a chunk's projected events name, those of failed handlers aside. */
function documentIdsOf(projected: readonly { updates?: readonly DocumentUpdate[] | undefined }[]): Set<string> {
  const ids = new Set<string>();
  for (const { updates } of projected) for (const update of updates ?? []) ids.add(update.id);
  return ids;
}
