// GET /products/search (Elasticsearch), which any valid key may read, and GET /reports/sales
// (read-model Postgres), which needs an admin or analyst key. Cross-field rules the JSON schema cannot express are
// checked here and answered 400 in the same shape, naming the fields.
import type { FastifyInstance } from 'fastify';
import { ValidationFailed, type FieldError } from '../../lib/errors.ts';
import type { ReadModels } from '../readModels.ts';
import { requireReportAccess } from './access.ts';
import { MAX_REPORT_DAYS, MAX_SEARCH_WINDOW, productSearchQuery, readSchema, salesReportQuery } from './querySchemas.ts';
import { productSearchResponse, salesReportResponse } from './responseSchemas.ts';

const DAY_MS = 86_400_000;

interface ProductSearchParams {
  q?: string;
  category?: string;
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  page: number;
  pageSize: number;
}

interface SalesReportParams {
  from: string;
  to: string;
  groupBy: 'day' | 'category';
}

function rejectIfAny(fields: FieldError[]): void {
  if (fields.length) throw new ValidationFailed(fields);
}

export function catalogRoutes(app: FastifyInstance, readModels: ReadModels): void {
  app.get('/products/search', {
    config: { readModel: 'product-search' },
    schema: readSchema('Full-text product search with category and brand facets', { querystring: productSearchQuery }, productSearchResponse),
  }, async (request) => {
    const { q, category, brand, minPrice, maxPrice, inStock, page, pageSize } = request.query as ProductSearchParams;
    const problems: FieldError[] = [];
    if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
      problems.push({ field: 'querystring.minPrice', message: 'must be <= maxPrice' }, { field: 'querystring.maxPrice', message: 'must be >= minPrice' });
    }
    if (page * pageSize > MAX_SEARCH_WINDOW) problems.push({ field: 'querystring.page', message: `page * pageSize must be <= ${MAX_SEARCH_WINDOW}` });
    rejectIfAny(problems);
    return readModels.searchProducts({
      ...(q === undefined ? {} : { q }),
      ...(category === undefined ? {} : { category }),
      ...(brand === undefined ? {} : { brand }),
      ...(minPrice === undefined ? {} : { minPriceCents: minPrice }),
      ...(maxPrice === undefined ? {} : { maxPriceCents: maxPrice }),
      ...(inStock === undefined ? {} : { inStock }),
      page,
      pageSize,
    });
  });

  app.get('/reports/sales', {
    config: { readModel: 'sales-report' },
    schema: readSchema('Sales per day or per category over a date range', { querystring: salesReportQuery }, salesReportResponse),
    // Checked before the handler runs, so a key without access learns nothing from validation errors either.
    preValidation: async (request) => requireReportAccess(request),
  }, async (request) => {
    const { from, to, groupBy } = request.query as SalesReportParams;
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    const problems: FieldError[] = [];
    if (days < 1) problems.push({ field: 'querystring.from', message: 'must be on or before to' }, { field: 'querystring.to', message: 'must be on or after from' });
    else if (days > MAX_REPORT_DAYS) problems.push({ field: 'querystring.to', message: `must be at most ${MAX_REPORT_DAYS} days after from (inclusive)` });
    rejectIfAny(problems);
    return readModels.salesReport({ from, to, groupBy });
  });
}
