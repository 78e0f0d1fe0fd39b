// Orders: customers place, cancel and re-address their own; shipping is an admin's.
import type { FastifyInstance } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { Forbidden, ValidationFailed } from '../../lib/errors.ts';
import type { ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { CommandExecutor } from '../commands/commandExecutor.ts';
import { cancelOrderCommand, placeOrderCommand, shipOrderCommand, updateShippingAddressCommand } from '../commands/orderCommands.ts';
import { expectedVersion } from '../../lib/commandRequest.ts';
import { commandSchema, principalOf, requireAdmin, sendCommand } from './commandRoute.ts';
import { cancelOrderBody, orderIdParam, placeOrderBody, shipOrderBody, shippingAddress } from './requestSchemas.ts';

// The request may leave line2 out; the event always has it, null when there is none.
const withLine2 = (address: Omit<ShippingAddress, 'line2'> & { line2?: string | null }): ShippingAddress => ({ ...address, line2: address.line2 ?? null });

export function orderRoutes(fastify: FastifyInstance, executor: CommandExecutor): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();

  app.post('/orders', { schema: commandSchema('Place an order: stock is reserved, totals are computed by the server', { body: placeOrderBody }) }, async (request, reply) => {
    const principal = principalOf(request);
    const body = request.body;
    let customerId = body.customerId;
    if (principal.role === 'customer') {
      if (customerId !== undefined && customerId !== principal.customerId) throw new Forbidden('a customer key can only place orders for its own customer');
      customerId = principal.customerId;
    } else if (customerId === undefined) {
      throw new ValidationFailed([{ field: 'body.customerId', message: 'is required with an admin key' }]);
    }
    return sendCommand(executor, request, reply, placeOrderCommand(customerId, body.items, withLine2(body.shippingAddress)));
  });

  app.post('/orders/:id/cancel', { schema: commandSchema('Cancel an order before it ships; its stock is released', { params: orderIdParam, body: cancelOrderBody }) }, async (request, reply) => {
    const reason = request.body?.reason ?? null;
    return sendCommand(executor, request, reply, cancelOrderCommand(principalOf(request), request.params.id, reason, expectedVersion(request)));
  });

  app.post('/orders/:id/ship', { schema: commandSchema('Mark an order shipped', { params: orderIdParam, body: shipOrderBody }) }, async (request, reply) => {
    requireAdmin(request);
    const body = request.body ?? {};
    return sendCommand(executor, request, reply, shipOrderCommand(principalOf(request), request.params.id, body.carrier ?? null, body.trackingNumber ?? null, expectedVersion(request)));
  });

  app.put('/orders/:id/shipping-address', { schema: commandSchema("Change an order's shipping address before it ships", { params: orderIdParam, body: shippingAddress }) }, async (request, reply) => {
    return sendCommand(executor, request, reply, updateShippingAddressCommand(principalOf(request), request.params.id, withLine2(request.body), expectedVersion(request)));
  });
}
