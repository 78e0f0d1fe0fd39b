// GET /orders/:id, from the order-summary hashes in Redis.
//
// Another customer's order answers 404, exactly like an order that does not exist, so a
// customer key cannot probe which order ids exist. With a min-version, an order that is
// absent (or not the caller's) when the wait ends answers 409 with currentVersion 0:
// the client holds a version from the command API, so the order is expected to appear.
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { fromDependency } from '../../lib/dependencyFailure.ts';
import { NotFound, StaleRead } from '../../lib/errors.ts';
import { mayReadCustomer, principalOf } from '../../query-api/http/access.ts';
import { readAtLeastVersion, requestedMinVersion } from '../../query-api/http/minVersionWait.ts';
import { minVersionHeaders, minVersionQuery, readSchema } from '../../query-api/http/querySchemas.ts';
import { cents, epochMs, nullableText, orderLineSchema, orderStatus, shippingAddressSchema, text } from '../../query-api/http/responseSchemas.ts';
import { PAYMENT_STATUSES } from '../../schemas/paymentState.ts';
import type { QueryRouteContext } from '../readModel.ts';
import { ORDER_SUMMARY, readOrderSummary, type OrderSummary } from './projection.ts';

const orderParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

/** OrderSummary, as parseOrderSummary builds it. */
const orderSummaryResponse = {
  type: 'object', additionalProperties: false,
  description: 'The order as the read model has it.',
  properties: {
    orderId: text,
    customerId: text,
    status: orderStatus,
    items: { type: 'array', items: orderLineSchema },
    totalCents: cents,
    shippingAddress: shippingAddressSchema,
    cancelReason: nullableText,
    carrier: nullableText,
    trackingNumber: nullableText,
    placedAt: { ...epochMs, description: 'When the order was placed (epoch ms).' },
    updatedAt: { ...epochMs, description: 'When the last applied event happened (epoch ms).' },
    version: { type: 'integer', description: "The order's version in the read model; what X-Min-Version compares with." },
    payment: {
      type: ['object', 'null'], additionalProperties: false,
      required: ['status', 'amountCents', 'refundReason', 'version'],
      description: "The order's payment as the payments service reported it (a source of its own); null until its first event.",
      properties: {
        status: { type: 'string', enum: PAYMENT_STATUSES },
        amountCents: cents,
        refundReason: nullableText,
        version: { type: 'integer', description: "The payment's own version (not the order's)." },
      },
    },
  },
} as const;

export function orderSummaryRoutes(fastify: FastifyInstance, { connections: { redis }, generation, minVersionTimeoutMs, readGraceMs }: QueryRouteContext): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();
  // An outage of Redis comes out of the reader as DependencyUnavailable naming it (503),
  // however deep in the reader the driver failed.
  const read = (orderId: string) => fromDependency('redis', () => readOrderSummary(redis, orderId, { generation }));
  app.get('/orders/:id', {
    config: { readModel: ORDER_SUMMARY },
    schema: readSchema('Order summary (status, items, totals, address, version, payment)', {
      params: orderParams,
      headers: minVersionHeaders,
      querystring: minVersionQuery,
    }, orderSummaryResponse),
  }, async (request) => {
    const { id } = request.params;
    const principal = principalOf(request);
    const readVisible = async (): Promise<OrderSummary | undefined> => {
      const order = await read(id);
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
}
