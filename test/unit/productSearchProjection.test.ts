// The pure parts of product-search and the Elasticsearch store: handlers → document updates,
// merging by per-source version without scripts, the index/alias/checkpoint names, and the
// search request. No Elasticsearch needed.
import t from 'tap';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import { productSearchProjection, productSearchRequest, toProductDocument } from '../../read-models/product-search/projection.ts';
import { checkUpdate, groupUpdatesById, mergeDocumentUpdates, type DocumentUpdate } from '../../projectors/stores/elasticsearchDocumentMerge.ts';
import { elasticsearchAliasOf, elasticsearchCheckpointId, elasticsearchIndexOf, readTargetOf } from '../../projectors/stores/elasticsearchLayout.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';

function wrap<T extends ProjectionEvent['type']>(type: T, event: Extract<ProjectionEvent, { type: T }>['event']): ProjectionEvent {
  return { type, event, topic: 'events.product', partition: 1, offset: '5', key: event.aggregateId } as ProjectionEvent;
}

const at = exampleEvents.ProductCreated.occurredAt;
const created = productSearchProjection.updatesFor(wrap('ProductCreated', exampleEvents.ProductCreated));
const updated = productSearchProjection.updatesFor(wrap('ProductUpdated', exampleEvents.ProductUpdated));
const stock = productSearchProjection.updatesFor(wrap('InventoryAdjusted', { ...exampleEvents.InventoryAdjusted, occurredAt: at + 1 }));

t.test('layout: generation index, alias pointer, checkpoint ids', async (t) => {
  t.equal(elasticsearchIndexOf('product-search', 3), 'outflow-product-search-g3');
  t.equal(elasticsearchAliasOf('product-search'), 'outflow-product-search');
  t.equal(elasticsearchCheckpointId('product-search', 3, 'events.product', 7), 'product-search:g3:events.product:7');
  t.equal(readTargetOf('product-search'), 'outflow-product-search');
  t.equal(readTargetOf('product-search', 2), 'outflow-product-search-g2');
});

t.test('handlers: product data under productVersion, stock under inventoryVersion', async (t) => {
  t.same(productSearchProjection.eventTypes, ['ProductCreated', 'ProductUpdated', 'InventoryAdjusted']);
  t.same(created, [{
    id: 'SKU-1', versionField: 'productVersion', version: 1,
    fields: { sku: 'SKU-1', name: 'Teapot', description: 'Cast iron, 1 l', category: 'kitchen', brand: 'Iwachu', priceCents: 1999 },
    greatest: { updatedAt: at },
  }]);
  t.same(stock, [{ id: 'SKU-1', versionField: 'inventoryVersion', version: 1, fields: { sku: 'SKU-1', available: 8, inStock: true }, greatest: { updatedAt: at + 1 } }]);
  t.same(productSearchProjection.updatesFor(wrap('OrderPlaced', exampleEvents.OrderPlaced)), []);
});

t.test('merge: newer versions apply, equal or older ones do not, sources do not interfere', async (t) => {
  const all = [...created, ...updated, ...stock];
  const merged = mergeDocumentUpdates(undefined, all);
  t.same(merged, { sku: 'SKU-1', name: 'Teapot', description: 'Cast iron, 1 l', category: 'kitchen', brand: 'Iwachu', priceCents: 2499, productVersion: 2, available: 8, inStock: true, inventoryVersion: 1, updatedAt: at + 1 });
  t.equal(mergeDocumentUpdates(merged, all), undefined, 'everything again: nothing changes');
  t.equal(mergeDocumentUpdates(merged, created), undefined, 'an older product event is stale');
  t.same(mergeDocumentUpdates(undefined, [...stock, ...updated, ...created]), merged, 'any order of the sources gives the same document');
  const stockOnly = mergeDocumentUpdates(undefined, stock);
  t.same(stockOnly, { sku: 'SKU-1', available: 8, inStock: true, inventoryVersion: 1, updatedAt: at + 1 });
  t.equal(toProductDocument(stockOnly), undefined, 'no product data: not a product');
  t.match(toProductDocument(mergeDocumentUpdates(undefined, created)), { available: 0, inStock: false, inventoryVersion: null, productVersion: 1 });
});

t.test('updates a handler may not give are refused, naming the document', async (t) => {
  const good: DocumentUpdate = { id: 'x', versionField: 'v', version: 1, fields: { a: 1 } };
  t.doesNotThrow(() => checkUpdate(good));
  t.throws(() => checkUpdate({ ...good, id: '' }), /document ""/);
  t.throws(() => checkUpdate({ ...good, version: 0 }), /positive integer/);
  t.throws(() => checkUpdate({ ...good, fields: { v: 3 } }), /version field v/);
  t.throws(() => checkUpdate({ ...good, greatest: { a: 2 } }), /both/);
  t.same([...groupUpdatesById([good, { ...good, id: 'y' }, { ...good, version: 2 }]).entries()].map(([id, u]) => [id, u.map((x) => x.version)]), [['x', [1, 2]], ['y', [1]]]);
});

t.test('search request: text over the analysed fields, filters, facets that skip their own filter', async (t) => {
  const request = productSearchRequest({ q: 'tea', category: 'kitchen', minPriceCents: 100, inStock: false, page: 3, pageSize: 10 });
  t.match(request, {
    index: 'outflow-product-search', from: 20, size: 10,
    query: { bool: { must: [{ multi_match: { query: 'tea', fields: ['name^2', 'description', 'brand.text', 'category.text'] } }], must_not: [{ term: { inStock: true } }] } },
    post_filter: { bool: { filter: [{ term: { category: 'kitchen' } }] } },
    aggs: { category: { filter: { bool: { filter: [] } } }, brand: { filter: { bool: { filter: [{ term: { category: 'kitchen' } }] } } } },
  });
  t.same(request.sort, ['_score', { 'name.keyword': 'asc' }, { sku: 'asc' }]);
  t.same(productSearchRequest({ page: 1, pageSize: 5, generation: 4 }).sort, [{ 'name.keyword': 'asc' }, { sku: 'asc' }]);
  t.equal(productSearchRequest({ page: 1, pageSize: 5, generation: 4 }).index, 'outflow-product-search-g4');
});
