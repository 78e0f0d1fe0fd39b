// GET /products/search, from the product-search index in Elasticsearch; any valid key may read
// it. Cross-field rules the JSON schema cannot express are checked here and answered 400 in the
// same shape, naming the fields.
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { fromDependency } from '../../lib/dependencyFailure.ts';
import { ValidationFailed, type FieldError } from '../../lib/errors.ts';
import { centsParameter, MAX_PAGE_SIZE, readSchema, textParameter } from '../../query-api/http/querySchemas.ts';
import { cents, epochMs, integer, text } from '../../query-api/http/responseSchemas.ts';
import type { QueryRouteContext } from '../readModel.ts';
import { PRODUCT_SEARCH, searchProducts } from './projection.ts';

/** Elasticsearch refuses from + size beyond index.max_result_window (10,000 by default). */
export const MAX_SEARCH_WINDOW = 10_000;

const productSearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { ...textParameter(200), description: 'Full text over name, description, brand and category.' },
    category: textParameter(100),
    brand: textParameter(100),
    minPrice: centsParameter,
    maxPrice: centsParameter,
    inStock: { type: 'boolean' },
    page: { type: 'integer', minimum: 1, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 },
  },
} as const;

const facetCounts = { type: 'array', items: { type: 'object', additionalProperties: false, properties: { value: text, count: integer } } } as const;

/** ProductSearchResult, as searchProducts builds it (each product as toProductDocument does). */
const productSearchResponse = {
  type: 'object', additionalProperties: false,
  description: 'The page of matching products and the facet counts of all matches.',
  properties: {
    total: integer,
    page: integer,
    pageSize: integer,
    products: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        properties: {
          sku: text,
          name: text,
          description: text,
          category: text,
          brand: text,
          priceCents: cents,
          available: { type: 'integer', description: 'Available units; 0 until the first inventory event.' },
          inStock: { type: 'boolean' },
          updatedAt: epochMs,
          productVersion: integer,
          inventoryVersion: { type: ['integer', 'null'], description: 'null until the first inventory event.' },
        },
      },
    },
    facets: { type: 'object', additionalProperties: false, properties: { category: facetCounts, brand: facetCounts } },
  },
} as const;

export function productSearchRoutes(fastify: FastifyInstance, { connections: { elasticsearch }, generation }: QueryRouteContext): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();
  app.get('/products/search', {
    config: { readModel: PRODUCT_SEARCH },
    schema: readSchema('Full-text product search with category and brand facets', { querystring: productSearchQuery }, productSearchResponse),
  }, async (request) => {
    const { q, category, brand, minPrice, maxPrice, inStock, page, pageSize } = request.query;
    const problems: FieldError[] = [];
    if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
      problems.push({ field: 'querystring.minPrice', message: 'must be <= maxPrice' }, { field: 'querystring.maxPrice', message: 'must be >= minPrice' });
    }
    if (page * pageSize > MAX_SEARCH_WINDOW) problems.push({ field: 'querystring.page', message: `page * pageSize must be <= ${MAX_SEARCH_WINDOW}` });
    if (problems.length) throw new ValidationFailed(problems);
    return fromDependency('elasticsearch', () =>
      searchProducts(elasticsearch, {
        ...(q === undefined ? {} : { q }),
        ...(category === undefined ? {} : { category }),
        ...(brand === undefined ? {} : { brand }),
        ...(minPrice === undefined ? {} : { minPriceCents: minPrice }),
        ...(maxPrice === undefined ? {} : { maxPriceCents: maxPrice }),
        ...(inStock === undefined ? {} : { inStock }),
        page,
        pageSize,
        generation,
      }),
    );
  });
}
