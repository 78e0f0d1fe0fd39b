// GET /orders/:id and GET /customers/:id/orders, from the Redis read models.
//
// Another customer's order answers 404, exactly like an order that does not exist, so a
// customer key cannot probe which order ids exist. With a min-version, an order that is
// absent (or not the caller's) when the wait ends answers 409 with currentVersion 0:
// the client holds a version from the command API, so the order is expected to appear.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound, StaleRead, ValidationFailed } from '../../lib/errors.ts';
import { readAtLeastVersion } from '../minVersionWait.ts';
import type { OrderSummary, ReadModels } from '../readModels.ts';
import { mayReadCustomer, principalOf, requireCustomerAccess } from './access.ts';
import { customerOrdersQuery, customerParams, minVersionHeaders, minVersionQuery, orderParams, readSchema } from './querySchemas.ts';
import { customerOrdersResponse, orderSummaryResponse } from './responseSchemas.ts';

export interface OrderRoutesOptions {
  minVersionTimeoutMs: number;
  /** How long past that wait a read still in flight may take (the Redis command timeout). */
  readGraceMs: number;
}

/** X-Min-Version or ?minVersion= (validated by the route schema); both given → the higher. */
function requestedMinVersion(request: FastifyRequest): number | undefined {
  const header = (request.headers as { 'x-min-version'?: number })['x-min-version'];
  const query = (request.query as { minVersion?: number }).minVersion;
  if (header === undefined) return query;
  return query === undefined ? header : Math.max(header, query);
}

/** The reader names a bad cursor `query.cursor`; the API names parameters as its schemas do (`querystring.cursor`). */
function asQuerystringError(error: unknown): unknown {
  if (!(error instanceof ValidationFailed)) return error;
  return new ValidationFailed(error.fields.map((f) => ({ ...f, field: f.field.replace(/^query\./, 'querystring.') })));
}

export function orderRoutes(app: FastifyInstance, readModels: ReadModels, { minVersionTimeoutMs, readGraceMs }: OrderRoutesOptions): void {
  app.get('/orders/:id', {
    config: { readModel: 'order-summary' },
    schema: readSchema('Order summary (status, items, totals, address, version)', {
      params: orderParams,
      headers: minVersionHeaders,
      querystring: minVersionQuery,
    }, orderSummaryResponse),
  }, async (request) => {
    const { id } = request.params as { id: string };
    const principal = principalOf(request);
    const readVisible = async (): Promise<OrderSummary | undefined> => {
      const order = await readModels.orderSummary(id);
      return order && mayReadCustomer(principal, order.customerId) ? order : undefined;
    };
    const minVersion = requestedMinVersion(request);
    if (minVersion === undefined) {
      const order = await readVisible();
      if (!order) throw new NotFound('order', id);
      return order;
    }
    const { value, reached } = await readAtLeastVersion(readVisible, minVersion, { timeoutMs: minVersionTimeoutMs, dependency: 'redis', readGraceMs });
    if (!reached) throw new StaleRead('order', id, minVersion, value?.version ?? 0);
    return value;
  });

  app.get('/customers/:id/orders', {
    config: { readModel: 'customer-orders' },
    schema: readSchema("A customer's orders, newest first, paged by cursor", {
      params: customerParams,
      querystring: customerOrdersQuery,
    }, customerOrdersResponse),
  }, async (request) => {
    const { id } = request.params as { id: string };
    requireCustomerAccess(request, id);
    const { cursor, limit } = request.query as { cursor?: string; limit: number };
    try {
      return await readModels.customerOrders(id, cursor === undefined ? { limit } : { cursor, limit });
    } catch (error) {
      throw asQuerystringError(error);
    }
  });
}
