// Catalog and stock commands: admin only (the route checks the role).
import type pg from 'pg';
import { AlreadyExists, ConcurrencyConflict, NotFound } from '../../lib/errors.ts';
import { adjustInventory, type AdjustmentReason, type Inventory } from '../domain/inventory.ts';
import { createProduct, updateProduct, type ProductFields } from '../domain/product.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import { insertInventory, lockInventory, saveInventory } from '../persistence/inventoryRepository.ts';
import { findProduct, insertProduct, updateProductRow } from '../persistence/productRepository.ts';
import type { Decision } from './commandExecutor.ts';

type Decide = (tx: pg.ClientBase, now: Date) => Promise<Decision>;

export function assertVersion(aggregate: string, id: string, expected: number | undefined, current: number): void {
  if (expected !== undefined && expected !== current) throw new ConcurrencyConflict(aggregate, id, expected, current);
}

/** A new product starts with an empty inventory aggregate; `initialStock` restocks it at once. */
export function createProductCommand(sku: string, fields: ProductFields, initialStock: number): Decide {
  return async (tx, now) => {
    const { product, event } = createProduct(sku, fields);
    if (!(await insertProduct(tx, product, now))) throw new AlreadyExists('product', sku);
    const events: PendingEvent[] = [event];
    let inventory: Inventory = { sku, available: 0, version: 0 };
    if (initialStock > 0) {
      const restocked = adjustInventory(inventory, initialStock, 'restock');
      inventory = restocked.inventory;
      events.push(restocked.event);
    }
    await insertInventory(tx, inventory, now);
    return { status: 201, aggregateId: sku, version: product.version, location: `/products/${encodeURIComponent(sku)}`, events };
  };
}

export function updateProductCommand(sku: string, changes: Partial<ProductFields>, expectedVersion: number | undefined): Decide {
  return async (tx, now) => {
    const current = await findProduct(tx, sku, { forUpdate: true });
    if (!current) throw new NotFound('product', sku);
    assertVersion('product', sku, expectedVersion, current.version);
    const { product, event } = updateProduct(current, changes);
    await updateProductRow(tx, product, now);
    return { status: 200, aggregateId: sku, version: product.version, location: `/products/${encodeURIComponent(sku)}`, events: [event] };
  };
}

export function adjustInventoryCommand(sku: string, delta: number, reason: AdjustmentReason, expectedVersion: number | undefined): Decide {
  return async (tx, now) => {
    const current = (await lockInventory(tx, [sku])).get(sku);
    if (!current) throw new NotFound('inventory for SKU', sku);
    assertVersion('inventory', sku, expectedVersion, current.version);
    const { inventory, event } = adjustInventory(current, delta, reason);
    await saveInventory(tx, [inventory], now);
    return { status: 200, aggregateId: sku, version: inventory.version, location: `/inventory/${encodeURIComponent(sku)}`, events: [event] };
  };
}
