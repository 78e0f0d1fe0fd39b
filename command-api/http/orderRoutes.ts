// Orders: customers place, cancel and re-address their own; shipping is an admin's.
import type { FastifyInstance } from 'fastify';
import { Forbidden, ValidationFailed } from '../../lib/errors.ts';
import type { ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { RequestedLine } from '../domain/order.ts';
import type { CommandExecutor } from '../commands/commandExecutor.ts';
import { cancelOrderCommand, placeOrderCommand, shipOrderCommand, updateShippingAddressCommand } from '../commands/orderCommands.ts';
import { commandSchema, expectedVersion, principalOf, requireAdmin, sendCommand } from './commandRoute.ts';
import { cancelOrderBody, orderIdParam, placeOrderBody, shipOrderBody, shippingAddress } from './requestSchemas.ts';

const withLine2 = (address: ShippingAddress): ShippingAddress => ({ ...address, line2: address.line2 ?? null });

export function orderRoutes(app: FastifyInstance, executor: CommandExecutor): void {
  app.post('/orders', { schema: commandSchema('Place an order: stock is reserved, totals are computed by the server', { body: placeOrderBody }) }, async (request, reply) => {
    const principal = principalOf(request);
    const body = request.body as { customerId?: string; items: RequestedLine[]; shippingAddress: ShippingAddress };
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
    const { id } = request.params as { id: string };
    const reason = (request.body as { reason?: string } | null)?.reason ?? null;
    return sendCommand(executor, request, reply, cancelOrderCommand(principalOf(request), id, reason, expectedVersion(request)));
  });

  app.post('/orders/:id/ship', { schema: commandSchema('Mark an order shipped', { params: orderIdParam, body: shipOrderBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { id } = request.params as { id: string };
    const body = (request.body as { carrier?: string; trackingNumber?: string } | null) ?? {};
    return sendCommand(executor, request, reply, shipOrderCommand(principalOf(request), id, body.carrier ?? null, body.trackingNumber ?? null, expectedVersion(request)));
  });

  app.put('/orders/:id/shipping-address', { schema: commandSchema("Change an order's shipping address before it ships", { params: orderIdParam, body: shippingAddress }) }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return sendCommand(executor, request, reply, updateShippingAddressCommand(principalOf(request), id, withLine2(request.body as ShippingAddress), expectedVersion(request)));
  });
}
