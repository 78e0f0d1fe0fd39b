// product-search against real Elasticsearch: product and inventory events, in any
// interleaving of the two topics, delivered once, twice, or replayed from the middle, give
// the same documents; stale events are ignored; search, filters and facets read them right.
import crypto from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import t from 'tap';
import { config } from '../../../lib/config.ts';
import type { PartitionBatch, ProjectionEvent } from '../../../projectors/projection.ts';
import { PRODUCT_SEARCH, productSearchProjection, readProductDocument, scanProductDocuments, searchProducts } from '../../../read-models/product-search/projection.ts';
import { elasticsearchAliasOf, liveElasticsearchGeneration, refreshReadModel } from '../../../projectors/stores/elasticsearchLayout.ts';
import { defineElasticsearchProjection, ElasticsearchProjectionStore, renamedElasticsearchProjection, type AppliedEsBatch, type ElasticsearchProjectionDefinition } from '../../../projectors/stores/elasticsearchStore.ts';
import type { EventPayloads } from '../../../schemas/generated/eventTypes.ts';
import { ensureStack } from '../../support/stack.ts';

await ensureStack('elasticsearch');
const base = config();
const es = new ElasticsearchClient({ node: base.elasticsearch.url });
// The store uses neither; real clients that never connect here.
const redis = new Redis(base.redis.url, { lazyConnect: true });
const readPostgres = new pg.Pool({ ...base.readModel.postgres });
const stores: ElasticsearchProjectionStore[] = [];
t.teardown(async () => {
  for (const store of stores) await store.truncate();
  await es.close();
  redis.disconnect();
  await readPostgres.end();
});

async function freshStore(generation = crypto.randomInt(1_000_000, 2 ** 31), definition: ElasticsearchProjectionDefinition = productSearchProjection, settings: Partial<typeof base.elasticsearch> = {}) {
  const store = definition.createStore({ config: { ...base, logLevel: 'silent', elasticsearch: { ...base.elasticsearch, ...settings } }, redis, elasticsearch: es, readPostgres }, generation);
  if (!(store instanceof ElasticsearchProjectionStore)) throw new Error('product-search is not an Elasticsearch projection');
  stores.push(store);
  await store.init();
  return { store, generation };
}

type ProductBody = Pick<EventPayloads['ProductCreated'], 'name' | 'description' | 'category' | 'brand' | 'priceCents'>;

/** One partition of one topic: events at consecutive offsets, versions per aggregate. */
class Partition {
  readonly events: ProjectionEvent[] = [];
  private readonly versions = new Map<string, number>();
  constructor(readonly topic: string, private readonly firstOffset = 0, readonly partition = 0) {}

  product(type: 'ProductCreated' | 'ProductUpdated', sku: string, at: number, body: ProductBody) {
    return this.push(type, sku, at, { sku, ...body });
  }

  stock(sku: string, at: number, available: number, delta: number) {
    return this.push('InventoryAdjusted', sku, at, { sku, available, delta, reason: delta > 0 ? 'restock' : 'reserved', orderId: null });
  }

  /** A copy of an earlier event at the next offset: a redelivery only the versions can recognise. */
  redeliver(event: ProjectionEvent) {
    return this.append({ type: event.type, event: event.event } as Pick<ProjectionEvent, 'type' | 'event'>);
  }

  private push(type: ProjectionEvent['type'], id: string, at: number, body: object) {
    const version = (this.versions.get(id) ?? 0) + 1;
    this.versions.set(id, version);
    const event = { eventId: crypto.randomUUID(), aggregateId: id, aggregateVersion: version, occurredAt: at, correlationId: 'c', causationId: null, ...body };
    return this.append({ type, event } as Pick<ProjectionEvent, 'type' | 'event'>);
  }

  private append(typed: Pick<ProjectionEvent, 'type' | 'event'>) {
    const event = { ...typed, topic: this.topic, partition: this.partition, offset: String(this.firstOffset + this.events.length), key: typed.event.aggregateId } as ProjectionEvent;
    this.events.push(event);
    return event;
  }
}

function batchesOf(events: readonly ProjectionEvent[], size: number): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  for (let i = 0; i < events.length; i += size) {
    const slice = events.slice(i, i + size);
    const last = slice[slice.length - 1];
    if (last) batches.push({ topic: last.topic, partition: last.partition, events: slice, lastOffset: last.offset });
  }
  return batches;
}

async function applyAll(store: ElasticsearchProjectionStore, batches: readonly PartitionBatch[]): Promise<AppliedEsBatch[]> {
  const results: AppliedEsBatch[] = [];
  for (const batch of batches) results.push(await store.applyBatch(batch));
  return results;
}

const run = crypto.randomBytes(3).toString('hex');
const sku = { trail: `TRAIL-${run}`, espresso: `ESPRESSO-${run}`, road: `ROAD-${run}`, teapot: `TEAPOT-${run}`, ghost: `GHOST-${run}` };
const t0 = Date.UTC(2024, 4, 1, 9);
const products = new Partition('events.product');
const trailCreated = products.product('ProductCreated', sku.trail, t0, { name: 'Trail Running Shoe', description: 'Grippy sole for muddy mountain paths', category: 'shoes', brand: 'Acme', priceCents: 8999 });
products.product('ProductCreated', sku.espresso, t0 + 1, { name: 'Espresso Machine', description: 'Brews rich coffee and steams milk', category: 'kitchen', brand: 'Brewly', priceCents: 24999 });
products.product('ProductCreated', sku.road, t0 + 2, { name: 'Road Running Shoe', description: 'Light and fast on asphalt', category: 'shoes', brand: 'Zoom', priceCents: 12999 });
products.product('ProductUpdated', sku.trail, t0 + 30, { name: 'Trail Running Shoe', description: 'Grippy sole for muddy mountain paths, now waterproof', category: 'shoes', brand: 'Acme', priceCents: 7999 });
products.product('ProductCreated', sku.teapot, t0 + 4, { name: 'Teapot', description: 'Cast iron, keeps tea hot', category: 'kitchen', brand: 'Acme', priceCents: 2999 });
const stock = new Partition('events.inventory');
stock.stock(sku.trail, t0 + 10, 10, 10);
stock.stock(sku.espresso, t0 + 11, 3, 3);
stock.stock(sku.espresso, t0 + 12, 0, -3);
stock.stock(sku.road, t0 + 13, 5, 5);
stock.stock(sku.ghost, t0 + 14, 7, 7);
const allSkus = Object.values(sku);

async function rawDocs(generation: number) {
  const found = await es.mget<Record<string, unknown>>({ index: `outflow-${PRODUCT_SEARCH}-g${generation}`, ids: allSkus });
  return Object.fromEntries(found.docs.map((doc) => [doc._id, 'found' in doc && doc.found ? doc._source : null]));
}

async function readAll(generation: number) {
  return Promise.all(allSkus.map((id) => readProductDocument(es, id, { generation })));
}

// Inventory first: every SKU's stock arrives before its product.
const once = await freshStore();
await applyAll(once.store, [...batchesOf(stock.events, 2), ...batchesOf(products.events, 2)]);
const expectedRaw = await rawDocs(once.generation);
const expectedRead = await readAll(once.generation);

t.test('stock before product: the documents merge both sources; stock alone stays invisible', async (t) => {
  const [trail, espresso, road, teapot, ghost] = expectedRead;
  t.same(trail, {
    sku: sku.trail, name: 'Trail Running Shoe', description: 'Grippy sole for muddy mountain paths, now waterproof', category: 'shoes', brand: 'Acme',
    priceCents: 7999, available: 10, inStock: true, updatedAt: t0 + 30, productVersion: 2, inventoryVersion: 1,
  });
  t.match(espresso, { available: 0, inStock: false, inventoryVersion: 2, productVersion: 1, updatedAt: t0 + 12 });
  t.match(road, { available: 5, inStock: true });
  t.match(teapot, { available: 0, inStock: false, inventoryVersion: null, updatedAt: t0 + 4 });
  t.equal(ghost, undefined, 'a document with stock but no product is not a product');
  t.same(expectedRaw[sku.ghost], { sku: sku.ghost, available: 7, inStock: true, inventoryVersion: 1, updatedAt: t0 + 14 });
  t.same(await once.store.readCheckpoints('events.product'), new Map([[0, String(products.events.length - 1)]]));
  t.same(await once.store.readCheckpoints('events.inventory'), new Map([[0, String(stock.events.length - 1)]]));
});

t.test('product first, or the topics interleaved, gives the same documents', async (t) => {
  const productFirst = await freshStore();
  await applyAll(productFirst.store, [...batchesOf(products.events, 3), ...batchesOf(stock.events, 3)]);
  t.same(await rawDocs(productFirst.generation), expectedRaw);
  const interleaved = await freshStore();
  const p = batchesOf(products.events, 1);
  const s = batchesOf(stock.events, 1);
  await applyAll(interleaved.store, p.flatMap((batch, i) => [batch, ...(s[i] ? [s[i]] : [])]));
  t.same(await rawDocs(interleaved.generation), expectedRaw);
});

t.test('every batch delivered twice gives the same state as once', async (t) => {
  const twice = await freshStore();
  const results = await applyAll(twice.store, [...batchesOf(stock.events, 2), ...batchesOf(products.events, 2)].flatMap((b) => [b, b]));
  t.ok(results.filter((_, i) => i % 2 === 1).every((r) => r.applied === 0 && r.written === 0), 'the second delivery is skipped by the checkpoint');
  t.same(await rawDocs(twice.generation), expectedRaw);
  t.same(await readAll(twice.generation), expectedRead);
});

t.test('a replay from the middle (0..k, then all) gives the same state as once', async (t) => {
  for (const k of [0, 2, products.events.length - 2]) {
    const replay = await freshStore();
    await applyAll(replay.store, [...batchesOf(products.events.slice(0, k + 1), 2), ...batchesOf(stock.events.slice(0, k + 1), 2)]);
    await applyAll(replay.store, [...batchesOf(stock.events, 3), ...batchesOf(products.events, 3)]);
    t.same(await rawDocs(replay.generation), expectedRaw, `k = ${k}`);
    t.same(await readAll(replay.generation), expectedRead, `k = ${k}: readers`);
  }
});

t.test('every event again at new offsets, and a stale ProductUpdated after a newer one, change nothing', async (t) => {
  const late = await freshStore();
  await applyAll(late.store, [...batchesOf(stock.events, 2), ...batchesOf(products.events, 2)]);
  const moreProducts = new Partition('events.product', products.events.length);
  moreProducts.redeliver(trailCreated);
  for (const event of products.events) moreProducts.redeliver(event);
  const moreStock = new Partition('events.inventory', stock.events.length);
  for (const event of stock.events) moreStock.redeliver(event);
  const results = await applyAll(late.store, [...batchesOf(moreProducts.events, 4), ...batchesOf(moreStock.events, 4)]);
  t.equal(results.reduce((n, r) => n + r.written, 0), 0, 'no document is written');
  t.same(await rawDocs(late.generation), expectedRaw);
  t.equal((await readProductDocument(es, sku.trail, { generation: late.generation }))?.priceCents, 7999, 'the version 1 price does not come back');
});

t.test('two workers writing the same documents at once (two topics) converge', async (t) => {
  const shared = await freshStore();
  const other = productSearchProjection.createStore({ config: { ...base, logLevel: 'silent' }, redis, elasticsearch: es, readPostgres }, shared.generation);
  if (!(other instanceof ElasticsearchProjectionStore)) throw new Error('not an Elasticsearch store');
  const results = await Promise.all([applyAll(shared.store, batchesOf(products.events, 1)), applyAll(other, batchesOf(stock.events, 1))]);
  t.same(await rawDocs(shared.generation), expectedRaw);
  t.comment(`version conflicts re-read: ${results.flat().reduce((n, r) => n + r.conflicts, 0)}`);
});

/** product-search with a ProductCreated handler that throws for a product named 'Broken'. */
function faultyProjection(name: string): ElasticsearchProjectionDefinition {
  return defineElasticsearchProjection({
    name,
    version: 1,
    mappings: productSearchProjection.mappings,
    handlers: {
      ProductCreated: ({ event: e }) => {
        if (e.name === 'Broken') throw new Error('handler bug');
        return productSearchProjection.updatesFor({ type: 'ProductCreated', event: e } as ProjectionEvent);
      },
    },
  });
}

t.test("a handler's failure fails the batch only for an event above the checkpoint", async (t) => {
  // The store projects every event of a batch before it reads the checkpoint (to fetch their
  // documents with it): an event at or below the checkpoint must still be skipped unprojected.
  const faulty = faultyProjection(`faulty-${run}`);
  const { store } = await freshStore(undefined, faulty);
  const partition = new Partition('events.product');
  const good = partition.product('ProductCreated', `GOOD-${run}`, t0, { name: 'Good', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  const broken = partition.product('ProductCreated', `BROKEN-${run}`, t0, { name: 'Broken', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  await t.rejects(store.applyBatch({ topic: 'events.product', partition: 0, events: [good, broken], lastOffset: broken.offset }), /handler bug/, 'an event to apply whose handler fails');
  t.same(await store.readCheckpoints('events.product', [0]), new Map(), 'and nothing of the batch counts as applied');
  // As the runtime does after parking the broken event: the checkpoint moves past it.
  await store.applyBatch({ topic: 'events.product', partition: 0, events: [good], lastOffset: broken.offset });
  const again = await store.applyBatch({ topic: 'events.product', partition: 0, events: [good, broken], lastOffset: broken.offset });
  t.match(again, { applied: 0, alreadyApplied: 2, written: 0 }, 'redelivered below the checkpoint: skipped, the failing handler with it');
});

t.test('chunks of several partitions handed over at once go in three requests and give the same documents', async (t) => {
  const together = await freshStore();
  const requests: string[] = [];
  const count = (_error: unknown, event: { meta: { request: { params: { path: string } } } } | null) => {
    if (event) requests.push(event.meta.request.params.path);
  };
  es.diagnostic.on('request', count);
  const results = await Promise.all([together.store.applyBatch(batchesOf(products.events, products.events.length)[0]!), together.store.applyBatch(batchesOf(stock.events, stock.events.length)[0]!)]);
  es.diagnostic.off('request', count);
  t.same(requests.map((path) => path.split('?')[0]), ['/_mget', '/_bulk', '/_bulk'], 'one mget, the documents in one bulk, both checkpoints in another');
  t.same(await rawDocs(together.generation), expectedRaw);
  t.same(results.map((r) => r.applied), [products.events.length, stock.events.length]);
  t.ok(results.every((r) => r.written > 0), 'each chunk counts the documents it wrote');
  t.same(await together.store.readCheckpoints('events.product'), new Map([[0, String(products.events.length - 1)]]));
  t.same(await together.store.readCheckpoints('events.inventory'), new Map([[0, String(stock.events.length - 1)]]));
});

t.test('chunks written together fail one by one: a failing handler or a moved checkpoint fails only its own', async (t) => {
  const faulty = faultyProjection(`faulty-together-${run}`);
  const { store } = await freshStore(undefined, faulty);
  const fine = new Partition('events.product', 0, 0);
  const good = fine.product('ProductCreated', `FINE-${run}`, t0, { name: 'Fine', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  const failing = new Partition('events.product', 0, 1);
  failing.product('ProductCreated', `OTHER-${run}`, t0, { name: 'Other', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  const broken = failing.product('ProductCreated', `BROKEN-${run}`, t0, { name: 'Broken', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  const moved = new Partition('events.product', 0, 2);
  const late = moved.product('ProductCreated', `MOVED-${run}`, t0, { name: 'Moved', description: 'd', category: 'c', brand: 'b', priceCents: 1 });
  const outcomes = await Promise.allSettled([
    store.applyBatch({ topic: 'events.product', partition: 0, events: [good], lastOffset: good.offset, expectedCheckpoint: null }),
    store.applyBatch({ topic: 'events.product', partition: 1, events: failing.events, lastOffset: broken.offset, expectedCheckpoint: null }),
    store.applyBatch({ topic: 'events.product', partition: 2, events: [late], lastOffset: late.offset, expectedCheckpoint: '41' }),
  ]);
  t.match(outcomes[0], { status: 'fulfilled', value: { applied: 1, written: 1 } }, 'the sound chunk is applied');
  t.match(outcomes[1], { status: 'rejected', reason: { message: /handler bug/ } }, 'the chunk with the failing handler fails');
  t.match(outcomes[2], { status: 'rejected', reason: { code: 'OUTFLOW_ERR_CHECKPOINT_MISMATCH' } }, 'the chunk expecting another checkpoint fails');
  t.same(await store.readCheckpoints('events.product'), new Map([[0, good.offset]]), 'only the sound chunk moved its checkpoint');
  const found = await es.mget<Record<string, unknown>>({ index: store.index, ids: [`FINE-${run}`, `OTHER-${run}`, `MOVED-${run}`] });
  t.same(found.docs.map((doc) => 'found' in doc && doc.found), [true, false, false], 'and only its documents were written');
});

t.test('search: full text, filters, paging and facets over the other filters', async (t) => {
  const generation = once.generation;
  await refreshReadModel(es, PRODUCT_SEARCH, generation);
  const search = (q: Omit<Parameters<typeof searchProducts>[1], 'page' | 'pageSize' | 'generation'>, page = 1, pageSize = 20) =>
    searchProducts(es, { ...q, page, pageSize, generation });
  const skus = async (q: Parameters<typeof search>[0]) => (await search(q)).products.map((p) => p.sku);

  t.same(await skus({}), [sku.espresso, sku.road, sku.teapot, sku.trail], 'everything with product data, by name');
  t.same(await skus({ q: 'MUDDY mountain' }), [sku.trail], 'analysed words, any case and order');
  t.same(await skus({ q: 'running shoe asphalt' }), [sku.road], 'every word must occur, across name and description');
  t.same((await skus({ q: 'shoe' })).sort(), [sku.road, sku.trail].sort());
  t.same((await skus({ q: 'acme' })).sort(), [sku.teapot, sku.trail].sort(), 'brand words are searchable, in any case');
  t.same(await skus({ category: 'shoes' }), [sku.road, sku.trail]);
  t.same(await skus({ brand: 'Acme' }), [sku.teapot, sku.trail]);
  t.same(await skus({ minPriceCents: 3000, maxPriceCents: 12999 }), [sku.road, sku.trail]);
  t.same(await skus({ inStock: true }), [sku.road, sku.trail]);
  t.same(await skus({ inStock: false }), [sku.espresso, sku.teapot], 'never adjusted counts as out of stock');
  t.same(await skus({ q: 'ghost' }), []);

  const page2 = await search({}, 2, 3);
  t.match(page2, { total: 4, page: 2, pageSize: 3 });
  t.same(page2.products.map((p) => p.sku), [sku.trail]);

  const shoes = await search({ category: 'shoes' });
  t.equal(shoes.total, 2);
  t.same(shoes.facets.category, [{ value: 'kitchen', count: 2 }, { value: 'shoes', count: 2 }], 'the category facet ignores the category filter');
  t.same(shoes.facets.brand, [{ value: 'Acme', count: 1 }, { value: 'Zoom', count: 1 }], 'the brand facet applies it');
  const acmeInStock = await search({ brand: 'Acme', inStock: true });
  t.same(acmeInStock.facets.category, [{ value: 'shoes', count: 1 }]);
  t.same(acmeInStock.facets.brand, [{ value: 'Acme', count: 1 }, { value: 'Zoom', count: 1 }]);
});

t.test('readers: scan of a generation, unknown SKU, generation without an index', async (t) => {
  const scanned = [];
  for await (const product of scanProductDocuments(es, { generation: once.generation, batchSize: 2 })) scanned.push(product);
  t.same(scanned.map((p) => p.sku), [sku.espresso, sku.road, sku.teapot, sku.trail]);
  t.same(scanned, [expectedRead[1], expectedRead[2], expectedRead[3], expectedRead[0]]);
  t.equal(await readProductDocument(es, 'NO-SUCH-SKU', { generation: once.generation }), undefined);
  t.equal(await readProductDocument(es, sku.trail, { generation: 1 + once.generation }), undefined);
  t.match(await searchProducts(es, { page: 1, pageSize: 5, generation: 1 + once.generation }), { total: 0, products: [] });
});

t.test('init points a missing alias at its generation and never moves an existing one', async (t) => {
  // product-search under a name of this run's own: its alias is missing until this test makes it,
  // whatever the shared product-search alias points at.
  const name = `${PRODUCT_SEARCH}-alias-${run}`.toLowerCase();
  const own = renamedElasticsearchProjection(productSearchProjection, name);
  t.notOk(await es.indices.existsAlias({ name: elasticsearchAliasOf(name) }), 'no alias to start with');
  const first = await freshStore(undefined, own);
  t.equal(await liveElasticsearchGeneration(es, name), first.generation, 'init points a missing alias at its generation');
  const second = await freshStore(first.generation + 1, own);
  t.equal(await liveElasticsearchGeneration(es, name), first.generation, 'init never moves an existing alias');
  await second.store.activate();
  t.equal(await liveElasticsearchGeneration(es, name), second.generation, 'activate does move it');
});

t.test('shards and replicas are configuration: each generation is created with them, and the alias switch moves between generations that differ', async (t) => {
  const name = `${PRODUCT_SEARCH}-shards-${run}`.toLowerCase();
  const own = renamedElasticsearchProjection(productSearchProjection, name);
  const settingsOf = async (store: ElasticsearchProjectionStore) => {
    const index = (await es.indices.getSettings({ index: store.index }))[store.index]?.settings?.index;
    return { shards: index?.number_of_shards, replicas: index?.number_of_replicas, autoExpand: index?.auto_expand_replicas };
  };
  const first = await freshStore(undefined, own);
  t.match(await settingsOf(first.store), { shards: '1', autoExpand: '0-1' }, 'the default: one shard, replicas following the nodes');
  const second = await freshStore(first.generation + 1, own, { shards: 3, replicas: { count: 0 } });
  t.match(await settingsOf(second.store), { shards: '3', replicas: '0', autoExpand: undefined }, 'a generation created with 3 shards and no replica');
  await applyAll(second.store, batchesOf(products.events, 4));
  await second.store.activate();
  await refreshReadModel(es, name);
  t.equal(await liveElasticsearchGeneration(es, name), second.generation, 'the alias moved to the 3-shard generation');
  const { count } = await es.count({ index: elasticsearchAliasOf(name), query: { exists: { field: 'name' } } });
  const { count: inIndex } = await es.count({ index: second.store.index, query: { exists: { field: 'name' } } });
  t.ok(count > 0 && count === inIndex, `the alias reads every document of the 3-shard generation (${count})`);
});
