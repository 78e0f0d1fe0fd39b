// Small real projections for the generation tests, one per store adapter, each under a name
// of its own (so a test never moves a real read model's pointer): an order's status in a
// Redis hash, an Elasticsearch document, and a Postgres row per order plus a count table.
import crypto from 'node:crypto';
import { config } from '../../lib/config.ts';
import type { PartitionBatch, ProjectionDefinition, ProjectionEvent, StoreConnections } from '../../projectors/projection.ts';
import { openStoreConnections, type OpenStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { defineElasticsearchProjection } from '../../projectors/stores/elasticsearchStore.ts';
import { definePostgresProjection } from '../../projectors/stores/postgresStore.ts';
import { defineRedisProjection } from '../../projectors/stores/redisStore.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { uniqueName } from './stack.ts';

export function redisGenerationProjection(name = uniqueName('gen-redis')): ProjectionDefinition {
  return defineRedisProjection({
    name,
    version: 1,
    handlers: {
      OrderPlaced: ({ event: e }) => [{ op: 'hsetIfNewer', key: `order:${e.orderId}`, version: e.aggregateVersion, fields: { status: 'placed' } }],
    },
  });
}

export function elasticsearchGenerationProjection(name = uniqueName('gen-es')): ProjectionDefinition {
  return defineElasticsearchProjection({
    name,
    version: 1,
    mappings: { dynamic: 'strict', properties: { orderId: { type: 'keyword' }, orderVersion: { type: 'long' } } },
    handlers: {
      OrderPlaced: ({ event: e }) => [{ id: e.orderId, versionField: 'orderVersion', version: e.aggregateVersion, fields: { orderId: e.orderId } }],
    },
  });
}

export function postgresGenerationProjection(name = uniqueName('gen_pg').replace(/-/g, '_')): ProjectionDefinition {
  return definePostgresProjection({
    name,
    version: 1,
    tables: { orders: 'order_id text PRIMARY KEY', totals: 'id int PRIMARY KEY, orders bigint NOT NULL' },
    eventTypes: ['OrderPlaced'],
    apply: async (events, { tx, tables }) => {
      for (const { type, event: e } of events) {
        if (type !== 'OrderPlaced') continue;
        await tx.query(`INSERT INTO ${tables.orders} (order_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.orderId]);
        await tx.query(`INSERT INTO ${tables.totals} (id, orders) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET orders = ${tables.totals}.orders + 1`);
      }
    },
  });
}

/** An OrderPlaced for `orderId` at an offset of partition 0 of events.order (the stores never read Kafka). */
export function orderPlacedBatch(orderIds: readonly string[], firstOffset = 0): PartitionBatch {
  const events = orderIds.map((orderId, i): ProjectionEvent => ({
    type: 'OrderPlaced',
    event: { ...exampleEvents.OrderPlaced, eventId: crypto.randomUUID(), aggregateId: orderId, orderId, aggregateVersion: 1 },
    topic: 'events.order',
    partition: 0,
    offset: String(firstOffset + i),
    key: orderId,
  }));
  return { topic: 'events.order', partition: 0, events, lastOffset: String(firstOffset + orderIds.length - 1) };
}

export function openTestStores(): OpenStoreConnections {
  return openStoreConnections({ ...config(), logLevel: 'silent' });
}

export function storeOf(definition: ProjectionDefinition, context: StoreConnections, generation: number) {
  return definition.createStore(context, generation);
}
