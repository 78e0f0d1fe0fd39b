// A query API wired to the real read stores (Redis, Elasticsearch, the read-model
// Postgres as the query role) and driven with fastify's inject(). Each harness reads a
// generation of its own, seeded through the real projection stores, so it never touches
// the live read models. The write database is configured on a closed port: the query
// API must answer without it.
import crypto from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { config, loadConfig, type Config } from '../../lib/config.ts';
import type { PartitionBatch, ProjectionEvent, ProjectionStore, StoreConnections } from '../../projectors/projection.ts';
import { closeReadConnections, openReadConnections } from '../../query-api/main.ts';
import type { ReadConnections } from '../../query-api/http/readConnections.ts';
import { readModels } from '../../read-models/registry.ts';
import { eventCatalog } from '../../schemas/eventCatalog.ts';
import { buildQueryApi } from '../../query-api/server.ts';
import { ensureStack, uniqueName } from './stack.ts';

export const ADMIN_KEY = 'query-harness-admin-key-0123';
export const CUSTOMER_KEY = 'query-harness-customer-key-0123';
export const OTHER_CUSTOMER_KEY = 'query-harness-other-key-0123';

/** A port nothing listens on: where the write database would be. */
const CLOSED_PORT = 1;

type EventOf<T extends ProjectionEvent['type']> = Extract<ProjectionEvent, { type: T }>['event'];

export interface QueryApiHarness {
  app: FastifyInstance;
  config: Config;
  connections: ReadConnections;
  /** The generation every read model of this harness lives in. */
  generation: number;
  customerId: string;
  otherCustomerId: string;
  send(url: string, options?: { key?: string | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Applies events (one batch per topic) to the given stores, as the projector runtime would. */
  apply(stores: readonly ProjectionStore[], events: readonly { type: ProjectionEvent['type']; event: EventOf<ProjectionEvent['type']> }[]): Promise<void>;
  /** The store of a projection in this harness's generation; truncated when the harness closes. */
  store(projection: { createStore(connections: StoreConnections, generation: number): ProjectionStore }, options?: Partial<StoreConnections> & { generation?: number }): ProjectionStore;
  close(): Promise<void>;
}


export interface QueryApiHarnessOptions {
  minVersionTimeoutMs?: number;
  /** Redis (read models, stores and pointers) at this URL instead of the stack's database 0, e.g. a claimed database. */
  redisUrl?: string;
  /** Read models this harness reads through their live pointers (which its stores' init() and activate() move) instead of its generation. */
  live?: readonly string[];
  /** Settings over the test stack's (OUTFLOW_REDIS_LAYOUT=cluster, OUTFLOW_REDIS_READ_FROM=replica, ...). */
  env?: Record<string, string>;
}

export async function queryApiHarness(options: QueryApiHarnessOptions = {}): Promise<QueryApiHarness> {
  const base = options.env ? loadConfig({ ...process.env, ...options.env }) : config();
  await ensureStack('postgres-read', 'elasticsearch', base.redis.layout === 'cluster' ? 'redis-cluster' : 'redis');
  const customerId = uniqueName('customer');
  const otherCustomerId = uniqueName('customer');
  // High, random generations never collide with live ones (1, 2, ...) or another run's.
  const generation = 100_000 + crypto.randomInt(1_000_000_000);
  const harnessConfig: Config = {
    ...base,
    logLevel: 'silent',
    postgres: { ...base.postgres, host: '127.0.0.1', port: CLOSED_PORT },
    redis: { ...base.redis, url: options.redisUrl ?? base.redis.url },
    queryApi: { ...base.queryApi, minVersionTimeoutMs: options.minVersionTimeoutMs ?? base.queryApi.minVersionTimeoutMs },
    auth: {
      ...base.auth,
      apiKeys: [
        { name: 'query-harness-admin', key: ADMIN_KEY, role: 'admin' },
        { name: `query-harness-${customerId}`, key: CUSTOMER_KEY, role: 'customer', customerId },
        { name: `query-harness-${otherCustomerId}`, key: OTHER_CUSTOMER_KEY, role: 'customer', customerId: otherCustomerId },
      ],
    },
  };
  const connections = openReadConnections(harnessConfig);
  const readGeneration: Record<string, number> = Object.fromEntries(
    readModels.map(({ projection }) => projection.name).filter((name) => !options.live?.includes(name)).map((name) => [name, generation]),
  );
  const app = await buildQueryApi({ config: harnessConfig, ...connections, readGeneration });
  const stores: ProjectionStore[] = [];
  const nextOffset = new Map<string, number>();

  return {
    app,
    config: harnessConfig,
    connections,
    generation,
    customerId,
    otherCustomerId,
    send: (url, { key = ADMIN_KEY, headers = {} } = {}) =>
      app.inject({ method: 'GET', url, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } }),
    store(projection, { generation: storeGeneration = generation, ...overrides } = {}) {
      const created = projection.createStore({ config: harnessConfig, ...connections, ...overrides }, storeGeneration);
      stores.push(created);
      return created;
    },
    async apply(targets, events) {
      const byTopic = new Map<string, ProjectionEvent[]>();
      for (const { type, event } of events) {
        const topic = eventCatalog[type].topic;
        const offset = nextOffset.get(topic) ?? 0;
        nextOffset.set(topic, offset + 1);
        // TS cannot pair `type` with its payload through the union; callers build them together.
        const projected = { type, event, topic, partition: 0, offset: String(offset), key: event.aggregateId } as ProjectionEvent;
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), projected]);
      }
      for (const [topic, batchEvents] of byTopic) {
        const batch: PartitionBatch = { topic, partition: 0, events: batchEvents, lastOffset: batchEvents[batchEvents.length - 1]?.offset ?? '0' };
        for (const target of targets) await target.applyBatch(batch);
      }
    },
    async close() {
      await app.close();
      for (const created of stores) {
        await created.truncate();
        await created.close();
      }
      await closeReadConnections(connections);
    },
  };
}
