// Catalog and stock: POST /products, PATCH /products/:sku, POST /inventory/:sku/adjustments. Admin only.
import type { FastifyInstance } from 'fastify';
import type { ProductFields } from '../domain/product.ts';
import type { CommandExecutor } from '../commands/commandExecutor.ts';
import { adjustInventoryCommand, createProductCommand, updateProductCommand } from '../commands/catalogCommands.ts';
import { commandSchema, expectedVersion, requireAdmin, sendCommand } from './commandRoute.ts';
import { adjustInventoryBody, createProductBody, skuParam, updateProductBody } from './requestSchemas.ts';

export function catalogRoutes(app: FastifyInstance, executor: CommandExecutor): void {
  app.post('/products', { schema: commandSchema('Create a product (and optionally its initial stock)', { body: createProductBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { sku, initialStock, ...fields } = request.body as ProductFields & { sku: string; initialStock: number };
    return sendCommand(executor, request, reply, createProductCommand(sku, fields, initialStock));
  });

  app.patch('/products/:sku', { schema: commandSchema('Change catalog data of a product', { params: skuParam, body: updateProductBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { sku } = request.params as { sku: string };
    return sendCommand(executor, request, reply, updateProductCommand(sku, request.body as Partial<ProductFields>, expectedVersion(request)));
  });

  app.post('/inventory/:sku/adjustments', { schema: commandSchema('Adjust the available stock of a SKU', { params: skuParam, body: adjustInventoryBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { sku } = request.params as { sku: string };
    const { delta, reason } = request.body as { delta: number; reason: 'restock' | 'correction' | 'damaged' };
    return sendCommand(executor, request, reply, adjustInventoryCommand(sku, delta, reason, expectedVersion(request)));
  });
}
