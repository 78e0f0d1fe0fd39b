// The payments service's command routes: an admin key (the payment processor's integration)
// authorizes, captures and refunds the payment of an order. The command API process mounts them
// with a pool of their own on the payments database; they share nothing else with it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { correlationIdOf, expectedVersion, ifMatchHeader } from '../lib/commandRequest.ts';
import { errorResponses } from '../lib/errorResponseSchema.ts';
import { Forbidden } from '../lib/errors.ts';
import { outboxTraceparent } from '../lib/requestTracing.ts';
import { authorizePayment, capturePayment, refundPayment } from './payment.ts';
import type { PaymentCommandContext, PaymentCommands } from './paymentCommands.ts';

/** The largest amount one payment may carry (cents): an order's total is bounded the same way. */
export const MAX_PAYMENT_CENTS = 1_000_000_000_000;

const orderIdParam = {
  type: 'object',
  required: ['orderId'],
  properties: { orderId: { type: 'string', format: 'uuid', description: 'The order the payment is for.' } },
} as const;

const ifMatch = { type: 'object', properties: { 'if-match': ifMatchHeader } } as const;

const authorizeBody = {
  type: 'object',
  required: ['amountCents'],
  additionalProperties: false,
  properties: { amountCents: { type: 'integer', minimum: 1, maximum: MAX_PAYMENT_CENTS, description: 'Amount in minor currency units (cents).' } },
} as const;

const refundBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;

const accepted = {
  type: 'object',
  required: ['aggregateId', 'version'],
  additionalProperties: false,
  properties: {
    aggregateId: { type: 'string', description: 'The order id: a payment is keyed by its order.' },
    version: { type: 'integer', description: "The payment's version after the command." },
  },
} as const;

const schema = <const Body>(summary: string, body: Body) => ({
  summary,
  tags: ['payments'],
  security: [{ apiKey: [] }],
  params: orderIdParam,
  headers: ifMatch,
  body,
  response: { 200: accepted, 201: accepted, ...errorResponses },
});

function context(request: FastifyRequest): PaymentCommandContext {
  if (request.principal?.role !== 'admin') throw new Forbidden(`${request.method} ${request.routeOptions.url} needs an admin key`);
  return {
    correlationId: correlationIdOf(request),
    causationId: request.id,
    traceparent: outboxTraceparent(request),
  };
}

export function paymentRoutes(fastify: FastifyInstance, commands: PaymentCommands): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();

  app.post('/payments/:orderId/authorize', { schema: schema("Authorize the payment of an order (once per order)", authorizeBody) }, async (request, reply) => {
    const { orderId } = request.params;
    const result = await commands.execute(orderId, (payment) => authorizePayment(payment, orderId, request.body.amountCents), context(request));
    return reply.status(201).header('location', `/payments/${orderId}`).send(result);
  });

  app.post('/payments/:orderId/capture', { schema: schema('Capture an authorized payment', { type: 'object', additionalProperties: false, properties: {} } as const) }, async (request, reply) => {
    const { orderId } = request.params;
    return reply.send(await commands.execute(orderId, (payment) => capturePayment(payment, orderId, expectedVersion(request)), context(request)));
  });

  app.post('/payments/:orderId/refund', { schema: schema('Refund a captured payment', refundBody) }, async (request, reply) => {
    const { orderId } = request.params;
    return reply.send(await commands.execute(orderId, (payment) => refundPayment(payment, orderId, request.body.reason, expectedVersion(request)), context(request)));
  });
}
