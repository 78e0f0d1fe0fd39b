// Catalog and stock: POST /products, PATCH /products/:sku, POST /inventory/:sku/adjustments. Admin only.
import type { FastifyInstance } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { CommandExecutor } from '../commands/commandExecutor.ts';
import { adjustInventoryCommand, createProductCommand, updateProductCommand } from '../commands/catalogCommands.ts';
import { expectedVersion } from '../../lib/commandRequest.ts';
import { commandSchema, requireAdmin, sendCommand } from './commandRoute.ts';
import { adjustInventoryBody, createProductBody, skuParam, updateProductBody } from './requestSchemas.ts';

export function catalogRoutes(fastify: FastifyInstance, executor: CommandExecutor): void {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();

  app.post('/products', { schema: commandSchema('Create a product (and optionally its initial stock)', { body: createProductBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { sku, initialStock, ...fields } = request.body;
    return sendCommand(executor, request, reply, createProductCommand(sku, fields, initialStock));
  });

  app.patch('/products/:sku', { schema: commandSchema('Change catalog data of a product', { params: skuParam, body: updateProductBody }) }, async (request, reply) => {
    requireAdmin(request);
    return sendCommand(executor, request, reply, updateProductCommand(request.params.sku, request.body, expectedVersion(request)));
  });

  app.post('/inventory/:sku/adjustments', { schema: commandSchema('Adjust the available stock of a SKU', { params: skuParam, body: adjustInventoryBody }) }, async (request, reply) => {
    requireAdmin(request);
    const { delta, reason } = request.body;
    return sendCommand(executor, request, reply, adjustInventoryCommand(request.params.sku, delta, reason, expectedVersion(request)));
  });
}
