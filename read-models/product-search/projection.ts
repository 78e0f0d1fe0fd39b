// product-search: one Elasticsearch document per SKU with what `GET /products/search` finds,
// filters and counts. Fed by two aggregates on two topics: the product (catalogue data,
// versioned in productVersion) and its inventory (stock, versioned in inventoryVersion).
// Stock may arrive before the product: the document then exists without product data and
// every reader ignores it until the product's event fills it in.
import type { estypes, Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { isIndexNotFound, readTargetOf } from '../../projectors/stores/elasticsearchLayout.ts';
import { defineElasticsearchProjection, type DocumentUpdate } from '../../projectors/stores/elasticsearchStore.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import type { ProductCreated, ProductUpdated } from '../../schemas/generated/eventTypes.ts';

export const PRODUCT_SEARCH = 'product-search';

/** The catalogue fields as ProductCreated carries them, and what the inventory and versions add. */
export interface ProductDocument extends EventBody<'ProductCreated'> {
  /** Available units; 0 until the SKU's first inventory event. */
  available: number;
  inStock: boolean;
  /** Time of the newest applied event of either source (epoch ms). */
  updatedAt: number;
  productVersion: number;
  /** The inventory aggregate's version; null until its first event. */
  inventoryVersion: number | null;
}

// A text sub-field makes category and brand findable by the full-text query too (the
// keyword is exact and case-sensitive; the stack has no analysis-common for a lowercase normalizer).
const searchableKeyword = { type: 'keyword', fields: { text: { type: 'text', analyzer: 'standard' } } } as const;

export const productSearchMappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    sku: { type: 'keyword' },
    name: { type: 'text', analyzer: 'standard', fields: { keyword: { type: 'keyword', ignore_above: 512 } } },
    description: { type: 'text', analyzer: 'standard' },
    category: searchableKeyword,
    brand: searchableKeyword,
    priceCents: { type: 'long' },
    available: { type: 'integer' },
    inStock: { type: 'boolean' },
    updatedAt: { type: 'date', format: 'epoch_millis' },
    productVersion: { type: 'long' },
    inventoryVersion: { type: 'long' },
  },
};

function productUpdate(e: ProductCreated | ProductUpdated): DocumentUpdate[] {
  const { sku, name, description, category, brand, priceCents } = e;
  return [{ id: sku, versionField: 'productVersion', version: e.aggregateVersion, fields: { sku, name, description, category, brand, priceCents }, greatest: { updatedAt: e.occurredAt } }];
}

export const productSearchProjection = defineElasticsearchProjection({
  name: PRODUCT_SEARCH,
  version: 1,
  mappings: productSearchMappings,
  handlers: {
    ProductCreated: ({ event }) => productUpdate(event),
    ProductUpdated: ({ event }) => productUpdate(event),
    InventoryAdjusted: ({ event: e }) => [
      { id: e.sku, versionField: 'inventoryVersion', version: e.aggregateVersion, fields: { sku: e.sku, available: e.available, inStock: e.available > 0 }, greatest: { updatedAt: e.occurredAt } },
    ],
  },
});

/** A stored document as readers show it; undefined while it has no product data. */
export function toProductDocument(source: Partial<Record<keyof ProductDocument, unknown>> | undefined): ProductDocument | undefined {
  if (!source || typeof source.productVersion !== 'number') return undefined;
  return {
    sku: String(source.sku),
    name: String(source.name),
    description: String(source.description),
    category: String(source.category),
    brand: String(source.brand),
    priceCents: Number(source.priceCents),
    available: typeof source.available === 'number' ? source.available : 0,
    inStock: source.inStock === true,
    updatedAt: Number(source.updatedAt),
    productVersion: source.productVersion,
    inventoryVersion: typeof source.inventoryVersion === 'number' ? source.inventoryVersion : null,
  };
}

export interface ProductSearchQuery {
  q?: string;
  category?: string;
  brand?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
  inStock?: boolean;
  page: number;
  pageSize: number;
  generation?: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface ProductSearchResult {
  total: number;
  page: number;
  pageSize: number;
  products: ProductDocument[];
  facets: { category: FacetCount[]; brand: FacetCount[] };
}

const FACET_SIZE = 50;
const hasProductData: estypes.QueryDslQueryContainer = { exists: { field: 'productVersion' } };

/** The Elasticsearch request for a search (exported so the unit tests can read it). */
export function productSearchRequest(query: ProductSearchQuery): estypes.SearchRequest {
  const { q, category, brand, minPriceCents, maxPriceCents, inStock, page, pageSize } = query;
  const filters: estypes.QueryDslQueryContainer[] = [hasProductData];
  if (minPriceCents !== undefined || maxPriceCents !== undefined) filters.push({ range: { priceCents: { gte: minPriceCents, lte: maxPriceCents } } });
  // A product never adjusted has no inStock field: it counts as out of stock.
  if (inStock === true) filters.push({ term: { inStock: true } });
  const mustNot: estypes.QueryDslQueryContainer[] = inStock === false ? [{ term: { inStock: true } }] : [];
  const must: estypes.QueryDslQueryContainer[] = q
    // cross_fields over fields of one analyzer: every word must occur in some field, scored as one field.
    ? [{ multi_match: { query: q, type: 'cross_fields', operator: 'and', fields: ['name^2', 'description', 'brand.text', 'category.text'] } }]
    : [];
  // Facet filters go in post_filter: each facet counts over the query and the OTHER facet's filter,
  // so choosing a category still shows how many products the other categories have.
  const categoryFilter: estypes.QueryDslQueryContainer[] = category === undefined ? [] : [{ term: { category } }];
  const brandFilter: estypes.QueryDslQueryContainer[] = brand === undefined ? [] : [{ term: { brand } }];
  const tieBreak: estypes.SortCombinations[] = [{ 'name.keyword': 'asc' }, { sku: 'asc' }];
  return {
    index: readTargetOf(PRODUCT_SEARCH, query.generation),
    from: (page - 1) * pageSize,
    size: pageSize,
    track_total_hits: true,
    query: { bool: { must, filter: filters, must_not: mustNot } },
    post_filter: { bool: { filter: [...categoryFilter, ...brandFilter] } },
    sort: q ? ['_score', ...tieBreak] : tieBreak,
    aggs: {
      category: { filter: { bool: { filter: brandFilter } }, aggs: { values: { terms: { field: 'category', size: FACET_SIZE } } } },
      brand: { filter: { bool: { filter: categoryFilter } }, aggs: { values: { terms: { field: 'brand', size: FACET_SIZE } } } },
    },
  };
}

function facetCounts(aggregations: Record<string, estypes.AggregationsAggregate> | undefined, name: 'category' | 'brand'): FacetCount[] {
  const facet = aggregations?.[name] as { values?: { buckets?: { key: string; doc_count: number }[] } } | undefined;
  return (facet?.values?.buckets ?? []).map((bucket) => ({ value: String(bucket.key), count: bucket.doc_count }));
}

/** Full-text search with filters and category/brand facets, through the alias (or `generation`'s index). */
export async function searchProducts(es: ElasticsearchClient, query: ProductSearchQuery): Promise<ProductSearchResult> {
  const { page, pageSize } = query;
  let found: estypes.SearchResponse<Record<string, unknown>>;
  try {
    found = await es.search<Record<string, unknown>>(productSearchRequest(query));
  } catch (error) {
    // No index yet: the projection has never run, so there is nothing to find.
    if (isIndexNotFound(error)) return { total: 0, page, pageSize, products: [], facets: { category: [], brand: [] } };
    throw error;
  }
  const total = typeof found.hits.total === 'number' ? found.hits.total : (found.hits.total?.value ?? 0);
  const products = found.hits.hits.map((hit) => toProductDocument(hit._source)).filter((p): p is ProductDocument => p !== undefined);
  return { total, page, pageSize, products, facets: { category: facetCounts(found.aggregations, 'category'), brand: facetCounts(found.aggregations, 'brand') } };
}

/** One product as the live generation (or `generation`) has it; undefined if unknown or without product data. */
export async function readProductDocument(es: ElasticsearchClient, sku: string, options: { generation?: number } = {}): Promise<ProductDocument | undefined> {
  // mget rather than GET: a missing document is `found: false`, so the only 404 left is
  // a missing index (no pointer yet), which is not an error for a reader.
  const index = readTargetOf(PRODUCT_SEARCH, options.generation);
  const found = await es.mget<Record<string, unknown>>({ index, ids: [sku] }).catch((error: unknown) => {
    if (isIndexNotFound(error)) return undefined;
    throw error;
  });
  const doc = found?.docs[0];
  return doc && 'found' in doc && doc.found ? toProductDocument(doc._source) : undefined;
}

/**
 * Every product document with product data of a generation (default: the live one), in SKU
 * order, paged with search_after (no scroll context to leak). Reads what is refreshed:
 * call refreshReadModel first for a complete picture.
 */
export async function* scanProductDocuments(es: ElasticsearchClient, options: { generation?: number; batchSize?: number } = {}): AsyncGenerator<ProductDocument> {
  const index = readTargetOf(PRODUCT_SEARCH, options.generation);
  let after: estypes.SortResults | undefined;
  for (;;) {
    let found: estypes.SearchResponse<Record<string, unknown>>;
    try {
      found = await es.search<Record<string, unknown>>({ index, size: options.batchSize ?? 500, query: hasProductData, sort: [{ sku: 'asc' }], ...(after ? { search_after: after } : {}) });
    } catch (error) {
      if (isIndexNotFound(error)) return;
      throw error;
    }
    const hits = found.hits.hits;
    for (const hit of hits) {
      const product = toProductDocument(hit._source);
      if (product) yield product;
    }
    const last = hits[hits.length - 1];
    if (!last?.sort || hits.length < (options.batchSize ?? 500)) return;
    after = last.sort;
  }
}
