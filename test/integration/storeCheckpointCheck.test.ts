// Each store adapter checks, in the same atomic unit as its writes, that the partition's
// checkpoint is the one the worker expects, and writes nothing when it is not: after a store
// lost its last writes, or when another worker moved it. Against the real stores, on a
// generation of each real read model that no other test uses.
import crypto from 'node:crypto';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { CheckpointMismatch } from '../../lib/errors.ts';
import type { PartitionBatch, ProjectionDefinition, ProjectionStore, StoreConnections } from '../../projectors/projection.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { productSearchProjection } from '../../read-models/product-search/projection.ts';
import { salesReportProjection } from '../../read-models/sales-report/projection.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { CHECKPOINT_INDEX, elasticsearchCheckpointId } from '../../projectors/stores/elasticsearchLayout.ts';
import { CHECKPOINT_TABLE } from '../../projectors/stores/postgresStore.ts';
import { RedisKeyLayout } from '../../projectors/stores/redisKeys.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('redis', 'postgres-read', 'elasticsearch');
const generation = crypto.randomInt(1_000_000, 2 ** 31);
const opened = openStoreConnections({ ...config(), logLevel: 'silent' });
const context: StoreConnections = opened.connections;
const stores: ProjectionStore[] = [];
t.teardown(async () => {
  for (const store of stores) await store.truncate();
  await opened.close();
});

/** Sets a partition's checkpoint behind the store's back, as a store that lost writes would have it. */
type LoseWrites = (topic: string, partition: number, offset: string) => Promise<void>;

const cases: { definition: ProjectionDefinition; topic: string; loseWrites: LoseWrites }[] = [
  {
    definition: orderSummaryProjection,
    topic: 'events.order',
    loseWrites: async (topic, partition, offset) => void (await context.redis.hset(RedisKeyLayout.of(context.redis, orderSummaryProjection.name).checkpointsKey(generation, topic), String(partition), offset)),
  },
  {
    definition: salesReportProjection,
    topic: 'events.order',
    loseWrites: async (topic, partition, offset) =>
      void (await context.readPostgres.query(`UPDATE ${CHECKPOINT_TABLE} SET "offset" = $5 WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4`, [
        salesReportProjection.name, generation, topic, partition, offset,
      ])),
  },
  {
    definition: productSearchProjection,
    topic: 'events.product',
    loseWrites: async (topic, partition, offset) =>
      void (await context.elasticsearch.index({
        index: CHECKPOINT_INDEX,
        id: elasticsearchCheckpointId(productSearchProjection.name, generation, topic, partition),
        document: { projection: productSearchProjection.name, generation, topic, partition, offset },
        refresh: true,
      })),
  },
];

for (const { definition, topic, loseWrites } of cases) {
  t.test(`${definition.name}: a batch applies only on the checkpoint it expects`, async (t) => {
    const store = definition.createStore(context, generation);
    stores.push(store);
    await store.init();
    const partition = 7;
    const batch = (lastOffset: string, expectedCheckpoint?: string | null): PartitionBatch => ({ topic, partition, events: [], lastOffset, expectedCheckpoint });
    const checkpoint = async () => (await store.readCheckpoints(topic)).get(partition);
    const mismatch = (expected: string | null, actual: string | null) => ({ constructor: CheckpointMismatch, code: 'OUTFLOW_ERR_CHECKPOINT_MISMATCH', expected, actual });

    await t.rejects(store.applyBatch(batch('5', '2')), mismatch('2', null), 'a checkpoint expected where the store has none');
    t.equal(await checkpoint(), undefined, 'nothing written');
    await store.applyBatch(batch('5', null));
    await store.applyBatch(batch('9', '5'));
    t.equal(await checkpoint(), '9', 'each batch on the one before');

    await t.rejects(store.applyBatch(batch('12', '5')), mismatch('5', '9'), 'a stale expectation: someone else applied further');
    await t.rejects(store.applyBatch(batch('12', null)), mismatch(null, '9'), 'a first batch on a store that has a checkpoint');
    t.equal(await checkpoint(), '9', 'refused batches wrote nothing');

    await loseWrites(topic, partition, '3');
    await t.rejects(store.applyBatch(batch('12', '9')), mismatch('9', '3'), 'the store lost the writes after 3');
    t.equal(await checkpoint(), '3', 'and the batch did not jump the gap');
    await store.applyBatch(batch('12', '3'));
    t.equal(await checkpoint(), '12', 're-applied from the store checkpoint');

    await store.applyBatch(batch('10'));
    t.equal(await checkpoint(), '12', 'unchecked writers (the DLQ resolver) still never move it backwards');
    await store.applyBatch(batch('14'));
    t.equal(await checkpoint(), '14');
  });
}

for (const { definition, topic } of cases) {
  t.test(`${definition.name}: the checkpoints of named partitions are read current, and only those`, async (t) => {
    const store = definition.createStore(context, generation + 1);
    stores.push(store);
    await store.init();
    const batch = (partition: number, lastOffset: string): PartitionBatch => ({ topic, partition, events: [], lastOffset });
    t.same(await store.readCheckpoints(topic, [0, 1]), new Map(), 'nothing applied yet');
    await store.applyBatch(batch(0, '4'));
    await store.applyBatch(batch(2, '8'));
    t.same(await store.readCheckpoints(topic, [0, 1]), new Map([[0, '4']]), 'a partition without a checkpoint is absent; an unnamed one is left out');
    t.same(await store.readCheckpoints(topic, []), new Map(), 'no partitions named, none read');
    // Read straight after the write: Elasticsearch's searches would not see it before the next refresh.
    await store.applyBatch(batch(2, '11'));
    t.same(await store.readCheckpoints(topic, [2]), new Map([[2, '11']]), 'the write just made is seen');
    t.same(await store.readCheckpoints(topic), new Map([[0, '4'], [2, '11']]), 'without names: every partition');
  });
}
