// Catalog and stock commands: admin only (the route checks the role).
import { AlreadyExists, NotFound } from '../../lib/errors.ts';
import { adjustInventory, type AdjustmentReason, type Inventory } from '../domain/inventory.ts';
import { createProduct, updateProduct, type ProductFields } from '../domain/product.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import { insertInventory, inventoryForUpdate, updateInventory } from '../persistence/inventoryRepository.ts';
import { insertProduct, isDuplicateProduct, productForUpdate, updateProduct as updateProductRow } from '../persistence/productRepository.ts';
import { commandPlan, type CommandPlan } from './commandPlan.ts';
import { assertVersion } from './expectedVersion.ts';

/**
 * A new product starts with an empty inventory aggregate; `initialStock` restocks it at once.
 * Nothing is read: the decision depends on the request alone, and a SKU that exists already is
 * found by the insert's unique key (409), so the command is one statement in one round trip.
 */
export function createProductCommand(sku: string, fields: ProductFields, initialStock: number): CommandPlan {
  return commandPlan(
    [],
    (_read, now) => {
      const { product, event } = createProduct(sku, fields);
      const events: PendingEvent[] = [event];
      let inventory: Inventory = { sku, available: 0, version: 0 };
      if (initialStock > 0) {
        const restocked = adjustInventory(inventory, initialStock, 'restock');
        inventory = restocked.inventory;
        events.push(restocked.event);
      }
      return {
        status: 201, aggregateId: sku, version: product.version, location: `/products/${encodeURIComponent(sku)}`, events,
        write(statement) {
          insertProduct(statement, product, now);
          insertInventory(statement, inventory, now);
        },
      };
    },
    (error) => (isDuplicateProduct(error) ? new AlreadyExists('product', sku) : undefined),
  );
}

export function updateProductCommand(sku: string, changes: Partial<ProductFields>, expectedVersion: number | undefined): CommandPlan {
  return commandPlan([productForUpdate(sku)], ([current], now) => {
    if (!current) throw new NotFound('product', sku);
    assertVersion('product', sku, expectedVersion, current.version);
    const { product, event } = updateProduct(current, changes);
    return {
      status: 200, aggregateId: sku, version: product.version, location: `/products/${encodeURIComponent(sku)}`, events: [event],
      write: (statement) => updateProductRow(statement, product, now),
    };
  });
}

export function adjustInventoryCommand(sku: string, delta: number, reason: AdjustmentReason, expectedVersion: number | undefined): CommandPlan {
  return commandPlan([inventoryForUpdate([sku])], ([stock], now) => {
    const current = stock.get(sku);
    if (!current) throw new NotFound('inventory for SKU', sku);
    assertVersion('inventory', sku, expectedVersion, current.version);
    const { inventory, event } = adjustInventory(current, delta, reason);
    return {
      status: 200, aggregateId: sku, version: inventory.version, location: `/inventory/${encodeURIComponent(sku)}`, events: [event],
      write: (statement) => updateInventory(statement, [inventory], now),
    };
  });
}
