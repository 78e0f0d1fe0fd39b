// The contract between the projector runtime and the read models.
//
// A projection is data: a name, a code version, the event types it reads, and a
// factory for its store. The runtime owns consuming, decoding, retries, the DLQ,
// metrics and shutdown; a store adapter (Redis, Elasticsearch, Postgres) owns batching
// writes, checkpoints, generations and truncation. A read model is one folder under
// read-models/ (its projection built with one of the store adapters' define* functions, its
// reader, verify check and query routes) and one line in read-models/registry.ts.
import type pg from 'pg';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Config } from '../lib/config.ts';
import { eventCatalog, type EventType } from '../schemas/eventCatalog.ts';
import type { EventPayloads } from '../schemas/generated/eventTypes.ts';
import type { RedisConnection } from '../lib/redisConnection.ts';

/** One decoded event with where it came from in Kafka. */
export type ProjectionEvent = {
  [T in EventType]: {
    type: T;
    event: EventPayloads[T];
    topic: string;
    partition: number;
    /** Kafka offset, as kafkajs gives it (a decimal string). */
    offset: string;
    /** The Kafka key: the aggregate id. */
    key: string;
  };
}[EventType];

/** What a store holds about one partition's progress: its checkpoint and when that change happened. */
export interface PartitionFreshness {
  offset: string;
  /** Absent when the checkpoint was written without one (by a tool, or before source times were recorded). */
  sourceTimeMs?: number;
}

/** Events of one topic-partition, in offset order, that the runtime hands to a store. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  /**
   * The events to apply (those the projection handles, minus parked ones). May be empty:
   * the checkpoint must still advance to `lastOffset`.
   */
  events: ProjectionEvent[];
  /** The highest offset this batch covers (the checkpoint to record with the writes). */
  lastOffset: string;
  /**
   * The checkpoint the store must hold before this batch: the offset the worker last applied in
   * the partition, null when it applied nothing there yet. When the store holds another one it
   * writes nothing and throws CheckpointMismatch, checked in the same atomic unit as the writes.
   * Left out by writers outside the consumer (the DLQ resolver, tools), which skip the check.
   */
  expectedCheckpoint?: string | null;
  /**
   * When the change at `lastOffset` happened (ms since the epoch): the event's occurredAt, set in
   * the command's transaction, or, for a message this projection does not apply, its record
   * timestamp. Stored with the checkpoint when it advances, so a reader can tell how old the
   * newest change its read model holds is (the query API's Outflow-Freshness header).
   */
  sourceTimeMs?: number;
}

/**
 * A read model's storage. Every method is idempotent: applying any prefix of a
 * partition's log twice leaves the same state as applying it once. Events at or below
 * the stored checkpoint are skipped inside the same atomic unit that writes the
 * checkpoint (Redis: one Lua script; Postgres: one transaction; Elasticsearch:
 * per-source versions on each document, checkpoint after the bulk succeeds).
 */
export interface ProjectionStore {
  /** Creates what the generation needs (index, tables, ...) if missing. */
  init(): Promise<void>;
  /**
   * Last applied offset per partition of `topic` (absent = nothing applied yet); with
   * `partitions`, of those partitions only. Always current, never a refresh interval behind.
   * Callers that know the partitions name them: Elasticsearch then reads each checkpoint by id
   * in real time, where a search over all of them must first refresh the checkpoint index,
   * which makes a new segment of it for every progress poll.
   */
  readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>>;
  /**
   * Per partition of `topic`: the checkpoint and the sourceTimeMs stored with it, for showing how
   * fresh the read model is. May trail readCheckpoints by the store's refresh interval
   * (Elasticsearch), which only makes the read model look older than it is.
   */
  readFreshness(topic: string): Promise<Map<number, PartitionFreshness>>;
  /**
   * Applies the batch and records `lastOffset` as the partition's checkpoint, atomically. Resolves
   * with what the adapter reports of it (its counts, for tests and benchmarks); the runtime ignores it.
   */
  applyBatch(batch: PartitionBatch): Promise<unknown>;
  /** Deletes everything of this generation (data and checkpoints). */
  truncate(): Promise<void>;
  /**
   * Points the readers' pointer at this generation in one atomic step (Redis: one SET;
   * Elasticsearch: one `_aliases` request that removes and adds; Postgres: every view replaced
   * in one transaction). Readers see the old generation or this one, never a mix. On a Redis
   * Cluster the step is one SET per bucket's copy of the pointer: each read still sees one whole
   * generation, but for a moment reads of keys in different buckets may see different ones.
   */
  activate(): Promise<void>;
  close(): Promise<void>;
}

/** The connections a store may use; the runtime opens them once per process, whatever generations it works on. */
export interface StoreConnections {
  config: Config;
  /** One Redis server or a Redis Cluster: the Redis stores lay their keys out for whichever it is. */
  redis: RedisConnection;
  elasticsearch: ElasticsearchClient;
  /** Pool on the read-model Postgres server as the projector role. */
  readPostgres: pg.Pool;
}

/**
 * A consumer's fetch shape. Kafka answers a fetch once `minBytes` wait or `maxWaitTimeInMs`
 * passed; `partitionsAtOnce` is how many partitions' chunks the worker handles at the same time
 * at least (the worker's --concurrency when larger).
 */
export interface ConsumerFetch {
  maxWaitTimeInMs: number;
  minBytes: number;
  partitionsAtOnce: number;
}

export interface ProjectionDefinition {
  name: string;
  /** Bump when handler logic changes: a different version means the read model needs a rebuild. */
  version: number;
  /** Event types the projection handles; its topics follow from the event catalog. */
  eventTypes: readonly EventType[];
  /**
   * The topics to read; by default the event catalog's topics of `eventTypes`. Set only to
   * read a copy of the events elsewhere (a test's private topic, a benchmark's preloaded one).
   */
  topics?: readonly string[];
  /** How its consumer fetches, when its store prefers fewer, larger chunks to the freshest ones (see ConsumerFetch). */
  fetch?: ConsumerFetch;
  /**
   * The store of one physical generation of the read model (1, 2, ...): the generation is part of
   * every key, index and table name the store writes.
   */
  createStore(connections: StoreConnections, generation: number): ProjectionStore;
  /** The generation the readers' pointer names now; undefined when there is no pointer yet. */
  liveGeneration(connections: StoreConnections): Promise<number | undefined>;
}

/** The topics a projection reads: its own list if it has one, else the catalog's for its event types. */
export function topicsOf(definition: ProjectionDefinition): string[] {
  if (definition.topics) return [...new Set(definition.topics)].sort();
  return [...new Set(definition.eventTypes.map((eventType) => eventCatalog[eventType].topic))].sort();
}

/** The Kafka consumer group of one projection generation. */
export function consumerGroupOf(projection: string, generation: number): string {
  return `outflow.projection.${projection}.g${generation}`;
}

/** The dead-letter topic of a projection. */
export function dlqTopicOf(projection: string): string {
  return `dlq.${projection}`;
}
