// GET /customers/:id/orders, from the customer-orders index in Redis: a customer key reads
// only its own customer's orders, an admin key any customer's.
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { fromDependency } from '../../lib/dependencyFailure.ts';
import { ValidationFailed } from '../../lib/errors.ts';
import { requireCustomerAccess } from '../../query-api/http/access.ts';
import { MAX_PAGE_SIZE, readSchema, textParameter } from '../../query-api/http/querySchemas.ts';
import { cents, epochMs, integer, orderStatus, text } from '../../query-api/http/responseSchemas.ts';
import type { QueryRouteContext } from '../readModel.ts';
import { CUSTOMER_ORDERS, readCustomerOrders } from './projection.ts';

const customerParams = {
  type: 'object',
  required: ['id'],
  properties: { id: textParameter(100) },
} as const;

const customerOrdersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { ...textParameter(500), pattern: '^[A-Za-z0-9_-]+$', description: 'The `nextCursor` of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 },
  },
} as const;

/** CustomerOrdersPage, as readCustomerOrders builds it. */
const customerOrdersResponse = {
  type: 'object', additionalProperties: false,
  description: "A page of the customer's orders, newest first.",
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        properties: {
          orderId: text,
          status: orderStatus,
          totalCents: cents,
          itemCount: { type: 'integer', description: 'Number of order lines.' },
          placedAt: epochMs,
          version: integer,
        },
      },
    },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' },
  },
} as const;

/** The reader names a bad cursor `query.cursor`; the API names parameters as its schemas do (`querystring.cursor`). */
function asQuerystringError(error: unknown): unknown {
  if (!(error instanceof ValidationFailed)) return error;
  return new ValidationFailed(error.fields.map((f) => ({ ...f, field: f.field.replace(/^query\./, 'querystring.') })));
}

export function customerOrdersRoutes(fastify: FastifyInstance, { connections: { redis }, generation }: QueryRouteContext): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();
  app.get('/customers/:id/orders', {
    config: { readModel: CUSTOMER_ORDERS },
    schema: readSchema("A customer's orders, newest first, paged by cursor", {
      params: customerParams,
      querystring: customerOrdersQuery,
    }, customerOrdersResponse),
  }, async (request) => {
    const { id } = request.params;
    requireCustomerAccess(request, id);
    const { cursor, limit } = request.query;
    try {
      return await fromDependency('redis', () => readCustomerOrders(redis, id, { ...(cursor === undefined ? {} : { cursor }), limit, generation }));
    } catch (error) {
      throw asQuerystringError(error);
    }
  });
}
