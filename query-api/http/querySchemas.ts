// JSON schemas of the query API's parameters: validation at the edge (each bad field is
// named in the 400 response) and the source of the OpenAPI document. Query strings and
// headers arrive as text; the API's ajv coerces them to the declared types.
import { errorResponseSchema } from '../../lib/httpErrorReply.ts';

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

export const MAX_REPORT_DAYS = 366;
export const MAX_PAGE_SIZE = 100;
/** Elasticsearch refuses from + size beyond index.max_result_window (10,000 by default). */
export const MAX_SEARCH_WINDOW = 10_000;

const minVersion = {
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Read your own writes: wait until the read model has reached this version (a command response\'s `version`).',
} as const;

export const orderParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

export const customerParams = {
  type: 'object',
  required: ['id'],
  properties: { id: text(100) },
} as const;

export const minVersionHeaders = {
  type: 'object',
  properties: { 'x-min-version': minVersion },
} as const;

export const minVersionQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { minVersion },
} as const;

export const customerOrdersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { ...text(500), pattern: '^[A-Za-z0-9_-]+$', description: 'The `nextCursor` of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 },
  },
} as const;

const cents = { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'Minor currency units (cents).' } as const;

export const productSearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { ...text(200), description: 'Full text over name, description, brand and category.' },
    category: text(100),
    brand: text(100),
    minPrice: cents,
    maxPrice: cents,
    inStock: { type: 'boolean' },
    page: { type: 'integer', minimum: 1, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 },
  },
} as const;

export const salesReportQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { type: 'string', format: 'date', description: 'First day (UTC), YYYY-MM-DD.' },
    to: { type: 'string', format: 'date', description: `Last day (UTC, inclusive), YYYY-MM-DD; at most ${MAX_REPORT_DAYS} days after from.` },
    groupBy: { type: 'string', enum: ['day', 'category'], default: 'day' },
  },
} as const;

/** Schema parts every authenticated read shares; `ok` is the 200 answer's (responseSchemas.ts). */
export function readSchema(summary: string, parts: Record<string, unknown>, ok: Record<string, unknown>) {
  return { summary, security: [{ apiKey: [] }], ...parts, response: { 200: ok, '4xx': errorResponseSchema } };
}
