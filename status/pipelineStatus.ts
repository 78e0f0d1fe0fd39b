// Everything `outflow status` shows, gathered from the parts themselves through their configured
// addresses (not the local stack manager), so the same screen works for a pipeline spread over
// many hosts. Each part is asked with a deadline; a part that does not answer is named in
// `unreachable` and the rest is still shown.
import { AssignerProtocol, type Admin } from 'kafkajs';
import type { Config } from '../lib/config.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';
import { isUndefinedTable } from '../lib/postgresFailure.ts';
import { bucketQuantile, parseHistogramBuckets, type HistogramBuckets } from '../lib/prometheusHistogram.ts';
import { ConnectClient } from '../connectors/connectClient.ts';
import { replicationSlotState, type ReplicationSlotState } from '../connectors/replicationSlot.ts';
import { declaredSources, type Source } from '../connectors/sourceConnector.ts';
import { consumerGroupOf, type ProjectionDefinition, type StoreConnections } from '../projectors/projection.ts';
import { allProjections } from '../read-models/registry.ts';
import { listGenerations } from '../projectors/generations/generationRegistry.ts';
import { runningRebuilds } from '../projectors/generations/rebuildLock.ts';
import { topicsOf } from '../projectors/projection.ts';
import { openStoreConnections } from '../projectors/runtime/storeConnections.ts';
import { AGGREGATE_TYPES, topicOf } from '../schemas/eventCatalog.ts';

export interface PartitionEnd {
  partition: number;
  low: number;
  /** The next offset to be written. */
  high: number;
}

export interface TopicStatus {
  topic: string;
  partitions: PartitionEnd[];
  /** Messages in the topic (sum of high - low). */
  messages: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The last offset the generation applied (its store's checkpoint); null: none yet. */
  applied: number | null;
  lag: number;
}

export interface WorkerMember {
  memberId: string;
  clientId: string;
  host: string;
  /** `topic/partition` the member consumes. */
  partitions: string[];
}

export interface ProjectionHealth {
  projection: string;
  live: number | null;
  /** A generation being built (a rebuild runs or was interrupted). */
  building: number | null;
  /** Messages behind the topics' ends, and per partition; null when it could not be read. */
  lag: number | null;
  partitions: PartitionLag[];
  /** Offsets applied per second over the sample window; null when not measured. */
  eventsPerSecond: number | null;
  /** The live generation's consumer group: the workers consuming it now. */
  groupState: string | null;
  workers: WorkerMember[];
  /** Partitions of its topics no worker holds (while workers are present). */
  unassigned: string[];
  parkedKeys: number | null;
  /**
   * Event age when applied, from the workers' histogram since they started (ms); null without
   * data. A percentile beyond the histogram's last finite bucket (300 s: a replay of old events)
   * is null, as JSON has no Infinity.
   */
  freshness: { p50: number | null; p99: number | null; events: number } | null;
  /** What could not be read for this projection. */
  errors: string[];
}

export interface RebuildStatus {
  projection: string;
  generation: number;
  startedAt: string | null;
  /** Messages of the topics the building generation has applied, of all there are now. */
  done: number | null;
  total: number | null;
}

export interface SourceHealth {
  /** The declared source (connectors/sources/<source>.json). */
  source: string;
  /** Its outbox table (schema-qualified), named in the fix for a lost slot. */
  outboxTable: string;
  /** Its connector; null when Kafka Connect did not answer, state null when it does not exist. */
  connector: { name: string; state: string | null; tasks: { id: number; state: string; trace?: string }[] } | null;
  /** Its replication slot; null when it does not exist or its database did not answer (see databasePart). */
  slot: ReplicationSlotState | null;
  slotName: string;
  /** The part of `unreachable` its database is named as when it does not answer: `<source> postgres`. */
  databasePart: string;
}

/** The name under which a source's database is reported unreachable. */
export const sourceDatabasePart = (source: string) => `${source} postgres`;

export interface PipelineStatus {
  checkedAt: string;
  /** Each declared source's connector and its own slot, in name order. */
  sources: SourceHealth[];
  topics: TopicStatus[];
  projections: ProjectionHealth[];
  rebuilds: RebuildStatus[];
  /** Parts that did not answer, with why. */
  unreachable: { part: string; error: string }[];
}

export interface StatusOptions {
  /** How long to watch checkpoints move for events/s. */
  sampleMs?: number;
  /** The projector workers' /metrics pages (freshness); ones that do not answer are left out. */
  workerMetricsUrls?: readonly string[];
  /** The deadline for each part. */
  timeoutMs?: number;
  projections?: readonly ProjectionDefinition[];
}

class PartTimedOut extends Error {}

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PartTimedOut(`no answer within ${ms} ms (${what})`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const reason = (error: unknown) => {
  const e = error as { message?: string; cause?: { message?: string }; code?: string };
  return [e.code, e.message, e.cause?.message].filter(Boolean).join(': ') || String(error);
};

/** `partitions`: each topic's partitions as Kafka listed them; a topic Kafka did not answer for is read whole. */
async function readCheckpoints(context: StoreConnections, definition: ProjectionDefinition, generation: number, partitions: ReadonlyMap<string, number[]>): Promise<Map<string, number>> {
  const store = definition.createStore(context, generation);
  const all = new Map<string, number>();
  for (const topic of topicsOf(definition)) {
    for (const [partition, offset] of await store.readCheckpoints(topic, partitions.get(topic))) all.set(`${topic}/${partition}`, Number(offset));
  }
  return all;
}

async function consumerGroupMembers(admin: Admin, groupId: string): Promise<{ state: string; members: WorkerMember[] }> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (!group) return { state: 'Dead', members: [] };
  return {
    state: group.state,
    members: group.members.map((m) => {
      const decoded = m.memberAssignment?.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      const partitions = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, list]) => list.map((p) => `${topic}/${p}`));
      return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost.replace(/^\//, ''), partitions: partitions.sort() };
    }),
  };
}

async function scrapeFreshness(urls: readonly string[], timeoutMs: number): Promise<HistogramBuckets> {
  const buckets: HistogramBuckets = new Map();
  await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
      if (response?.ok) parseHistogramBuckets(await response.text(), 'outflow_projector_freshness_seconds', buckets);
    }),
  );
  return buckets;
}

function freshnessOf(buckets: HistogramBuckets, projection: string): ProjectionHealth['freshness'] {
  const series = [...buckets.values()].find((s) => s.labels.projection === projection);
  const events = series?.counts.at(-1) ?? 0;
  if (!series || events === 0) return null;
  const ms = series.bounds.map((b) => b * 1000);
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  return { p50: finite(bucketQuantile(ms, series.counts, 0.5)), p99: finite(bucketQuantile(ms, series.counts, 0.99)), events };
}

export async function pipelineStatus(config: Config, options: StatusOptions = {}): Promise<PipelineStatus> {
  const { sampleMs = 1000, workerMetricsUrls = [], timeoutMs = 5000, projections = allProjections } = options;
  const unreachable: PipelineStatus['unreachable'] = [];
  const down = (part: string) => (error: unknown) => {
    if (!unreachable.some((u) => u.part === part)) unreachable.push({ part, error: reason(error) });
    return undefined;
  };
  const connect = new ConnectClient({ url: config.connect.url, timeoutMs });
  const sourcesPromise = Promise.all(declaredSources(config).map((source) => sourceHealth(config, connect, source, timeoutMs, down)));
  const freshnessPromise = scrapeFreshness(workerMetricsUrls, timeoutMs);

  // kafkajs retries a missing broker for minutes by default: here one short attempt is the answer.
  const kafka = kafkaClient(config, 'status', { connectionTimeoutMs: timeoutMs, retry: { retries: 1, initialRetryTime: 200 } });
  const admin = kafka.admin();
  const adminUp = await within(timeoutMs, 'Kafka', admin.connect()).then(() => true, down('kafka'));
  const stores = openStoreConnections({ ...config, logLevel: 'silent' });
  try {
    const topics: TopicStatus[] = [];
    if (adminUp) {
      const existing = new Set(await within(timeoutMs, 'Kafka', admin.listTopics()).catch(down('kafka')));
      for (const topic of AGGREGATE_TYPES.map(topicOf)) {
        if (!existing.has(topic)) continue;
        const offsets = await within(timeoutMs, 'Kafka', admin.fetchTopicOffsets(topic)).catch(down('kafka'));
        if (!offsets) continue;
        const partitions = offsets.map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) })).sort((a, b) => a.partition - b.partition);
        topics.push({ topic, partitions, messages: partitions.reduce((sum, p) => sum + p.high - p.low, 0) });
      }
    }
    const ends = new Map(topics.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, p] as const)));
    const topicPartitions = new Map(topics.map((t) => [t.topic, t.partitions.map((p) => p.partition)]));

    const generations = await within(timeoutMs, 'the read-model Postgres', listGenerations(stores.connections.readPostgres)).catch(down('read postgres'));
    const parked = await within(
      timeoutMs,
      'the read-model Postgres',
      stores.connections.readPostgres.query<{ projection: string; generation: number; n: string }>(
        // A read store no worker has initialised yet has no such table: nothing is parked.
        'SELECT projection, generation, count(*)::text AS n FROM projector_parked_keys GROUP BY projection, generation',
      ),
    ).then((r) => r.rows, (error: unknown) => (isUndefinedTable(error) ? [] : down('read postgres')(error)));

    // Checkpoints twice, sampleMs apart: how fast each live generation moves right now.
    const first = new Map<string, Map<string, number> | Error>();
    const liveOf = (name: string) => generations?.find((g) => g.projection === name && g.state === 'live')?.generation ?? null;
    const storeRead = async (definition: ProjectionDefinition, generation: number) =>
      within(timeoutMs, `${definition.name}'s store`, readCheckpoints(stores.connections, definition, generation, topicPartitions)).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    await Promise.all(projections.map(async (p) => { const live = liveOf(p.name); if (live !== null) first.set(p.name, await storeRead(p, live)); }));
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const freshness = await freshnessPromise;

    const health: ProjectionHealth[] = [];
    for (const p of projections) {
      const live = liveOf(p.name);
      const building = generations?.find((g) => g.projection === p.name && g.state === 'building')?.generation ?? null;
      const errors: string[] = [];
      const entry: ProjectionHealth = {
        projection: p.name, live, building, lag: null, partitions: [], eventsPerSecond: null, groupState: null, workers: [], unassigned: [],
        parkedKeys: parked ? parked.filter((r) => r.projection === p.name && r.generation === live).reduce((s, r) => s + Number(r.n), 0) : null,
        freshness: freshnessOf(freshness, p.name), errors,
      };
      health.push(entry);
      if (live === null) continue;
      const before = first.get(p.name);
      const after = await storeRead(p, live);
      if (after instanceof Error) errors.push(`checkpoints unreadable: ${reason(after)}`);
      else {
        if (before && !(before instanceof Error)) {
          let moved = 0;
          for (const [key, offset] of after) moved += offset - (before.get(key) ?? offset);
          entry.eventsPerSecond = Math.round((moved / ((performance.now() - startedAt) / 1000)) * 10) / 10;
        }
        if (topics.length) {
          let lag = 0;
          for (const topic of topicsOf(p)) {
            for (const end of topics.find((t) => t.topic === topic)?.partitions ?? []) {
              const applied = after.get(`${topic}/${end.partition}`) ?? null;
              const next = applied === null ? end.low : Math.max(applied + 1, end.low);
              const behind = Math.max(0, end.high - next);
              lag += behind;
              entry.partitions.push({ topic, partition: end.partition, applied, lag: behind });
            }
          }
          entry.lag = lag;
        }
      }
      if (adminUp) {
        const group = await within(timeoutMs, 'Kafka', consumerGroupMembers(admin, consumerGroupOf(p.name, live))).catch((error: unknown) => { errors.push(`consumer group unreadable: ${reason(error)}`); return undefined; });
        if (group) {
          entry.groupState = group.state;
          entry.workers = group.members;
          const held = new Set(group.members.flatMap((m) => m.partitions));
          if (group.members.length) entry.unassigned = topicsOf(p).flatMap((topic) => [...ends.keys()].filter((k) => k.startsWith(`${topic}/`) && !held.has(k)));
        }
      }
    }

    const rebuilds: RebuildStatus[] = [];
    const running = await within(timeoutMs, 'the read-model Postgres', runningRebuilds(stores.connections.readPostgres)).catch(down('read postgres'));
    for (const r of running ?? []) {
      const definition = projections.find((p) => p.name === r.projection);
      const checkpoints = definition ? await storeRead(definition, r.generation) : undefined;
      let done: number | null = null;
      let total: number | null = null;
      if (definition && checkpoints && !(checkpoints instanceof Error) && topics.length) {
        done = 0;
        total = 0;
        for (const topic of topicsOf(definition)) {
          for (const end of topics.find((t) => t.topic === topic)?.partitions ?? []) {
            const applied = checkpoints.get(`${topic}/${end.partition}`);
            total += end.high - end.low;
            done += applied === undefined ? 0 : Math.min(end.high, applied + 1) - end.low;
          }
        }
      }
      rebuilds.push({ projection: r.projection, generation: r.generation, startedAt: r.startedAt?.toISOString() ?? null, done, total });
    }

    return {
      checkedAt: new Date().toISOString(),
      sources: await sourcesPromise,
      topics,
      projections: health,
      rebuilds,
      unreachable,
    };
  } finally {
    await stores.close().catch(() => undefined);
    if (adminUp) await admin.disconnect().catch(() => undefined);
  }
}

/** One source's connector and slot, each asked with the deadline; a part that does not answer is named by `down`. */
async function sourceHealth(config: Config, connect: ConnectClient, source: Source, timeoutMs: number, down: (part: string) => (error: unknown) => undefined): Promise<SourceHealth> {
  const name = source.connector.name;
  const databasePart = sourceDatabasePart(source.name);
  const [connector, slot] = await Promise.all([
    within(timeoutMs, 'Kafka Connect', connect.status(name)).then(
      (s) => (s ? { name, state: s.connector.state, tasks: s.tasks.map((t) => ({ id: t.id, state: t.state, ...(t.trace ? { trace: t.trace } : {}) })) } : { name, state: null, tasks: [] }),
      down('kafka-connect'),
    ),
    within(timeoutMs, `the ${source.name} database`, replicationSlotState(config, source)).catch(down(databasePart)),
  ]);
  return { source: source.name, outboxTable: source.outboxTable, connector: connector ?? null, slot: slot ?? null, slotName: source.slot, databasePart };
}
