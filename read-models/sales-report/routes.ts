// GET /reports/sales, from the sales tables of the read-model Postgres; it needs an admin or
// analyst key. Cross-field rules the JSON schema cannot express are checked here and answered
// 400 in the same shape, naming the fields.
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { fromDependency } from '../../lib/dependencyFailure.ts';
import { ValidationFailed, type FieldError } from '../../lib/errors.ts';
import { requireReportAccess } from '../../query-api/http/access.ts';
import { readSchema } from '../../query-api/http/querySchemas.ts';
import { cents, integer, text } from '../../query-api/http/responseSchemas.ts';
import type { QueryRouteContext } from '../readModel.ts';
import { readSalesReport, SALES_REPORT } from './projection.ts';

const DAY_MS = 86_400_000;
export const MAX_REPORT_DAYS = 366;

// `format: date` checks the day exists in its month (no 2026-02-30) and the year has four digits;
// the pattern refuses years before 1970 (Postgres has no year 0, and no sale predates the epoch).
// It only looks ahead at the year, so a value that is no date at all is named once, by the format.
const reportDay = (description: string) => ({ type: 'string', format: 'date', pattern: '^(?!(?:0[0-9]{3}|1[0-8][0-9]{2}|19[0-6][0-9])-)', description }) as const;
const FIRST_REPORT_DAY = '1970-01-01';
const LAST_REPORT_DAY = '9999-12-31';

const salesReportQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: reportDay(`First day (UTC), YYYY-MM-DD, ${FIRST_REPORT_DAY} to ${LAST_REPORT_DAY}.`),
    to: reportDay(`Last day (UTC, inclusive), YYYY-MM-DD, ${FIRST_REPORT_DAY} to ${LAST_REPORT_DAY}; at most ${MAX_REPORT_DAYS} days after from.`),
    groupBy: { type: 'string', enum: ['day', 'category'], default: 'day' },
  },
} as const;

const salesSums = { revenueCents: cents, units: integer } as const;

/** SalesReport, as readSalesReport builds it: each row has `day` or `category`, as grouped. */
const salesReportResponse = {
  type: 'object', additionalProperties: false,
  description: 'Revenue and units per day or per category, and their totals.',
  properties: {
    from: text,
    to: text,
    groupBy: { type: 'string', enum: ['day', 'category'] },
    rows: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { day: text, category: text, ...salesSums } } },
    totals: { type: 'object', additionalProperties: false, properties: salesSums },
  },
} as const;

export function salesReportRoutes(fastify: FastifyInstance, { connections: { readPostgres }, generation }: QueryRouteContext): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();
  app.get('/reports/sales', {
    config: { readModel: SALES_REPORT },
    schema: readSchema('Sales per day or per category over a date range', { querystring: salesReportQuery }, salesReportResponse),
    // Checked before the handler runs, so a key without access learns nothing from validation errors either.
    preValidation: async (request) => requireReportAccess(request),
  }, async (request) => {
    const { from, to, groupBy } = request.query;
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    const problems: FieldError[] = [];
    if (days < 1) problems.push({ field: 'querystring.from', message: 'must be on or before to' }, { field: 'querystring.to', message: 'must be on or after from' });
    else if (days > MAX_REPORT_DAYS) problems.push({ field: 'querystring.to', message: `must be at most ${MAX_REPORT_DAYS} days after from (inclusive)` });
    if (problems.length) throw new ValidationFailed(problems);
    return fromDependency('readPostgres', () => readSalesReport(readPostgres, { from, to, groupBy, generation }));
  });
}
