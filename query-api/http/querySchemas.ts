// JSON schemas of the query API's parameters: validation at the edge (each bad field is
// named in the 400 response) and the source of the OpenAPI document. Query strings and
// headers arrive as text; the API's ajv coerces them to the declared types.
import { errorResponses } from '../../lib/errorResponseSchema.ts';

// No control characters and no lone surrogates (ajv compiles patterns with the u flag, where a
// lone surrogate is a code point of category Cs and a paired one is not).
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\p{Cc}\\p{Cs}]*$' }) as const;

// `format: date` checks the day exists in its month (no 2026-02-30) and the year has four digits;
// the pattern refuses years before 1970 (Postgres has no year 0, and no sale predates the epoch).
// It only looks ahead at the year, so a value that is no date at all is named once, by the format.
const reportDay = (description: string) => ({ type: 'string', format: 'date', pattern: '^(?!(?:0[0-9]{3}|1[0-8][0-9]{2}|19[0-6][0-9])-)', description }) as const;
const FIRST_REPORT_DAY = '1970-01-01';
const LAST_REPORT_DAY = '9999-12-31';

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
    from: reportDay(`First day (UTC), YYYY-MM-DD, ${FIRST_REPORT_DAY} to ${LAST_REPORT_DAY}.`),
    to: reportDay(`Last day (UTC, inclusive), YYYY-MM-DD, ${FIRST_REPORT_DAY} to ${LAST_REPORT_DAY}; at most ${MAX_REPORT_DAYS} days after from.`),
    groupBy: { type: 'string', enum: ['day', 'category'], default: 'day' },
  },
} as const;

/** Schema parts every authenticated read shares; `ok` is the 200 answer's (responseSchemas.ts). */
export function readSchema(summary: string, parts: Record<string, unknown>, ok: Record<string, unknown>) {
  return { summary, security: [{ apiKey: [] }], ...parts, response: { 200: ok, ...errorResponses } };
}
