// Stock per SKU. Rows are locked in SKU order so two orders that share SKUs always
// queue in the same order and cannot deadlock.
import type pg from 'pg';
import type { Inventory } from '../domain/inventory.ts';
import type { Read } from './read.ts';
import { preparedQuery, type WriteStatement } from './writeStatement.ts';

// node-pg returns the bigint version as a string.
type InventoryRow = Pick<Inventory, 'sku' | 'available'> & { version: string };

const toInventory = (row: InventoryRow): Inventory => ({ sku: row.sku, available: row.available, version: Number(row.version) });

const bySku = (result: pg.QueryResult | undefined) =>
  new Map((result as pg.QueryResult<InventoryRow>).rows.map((row) => [row.sku, toInventory(row)]));

export function inventoryForUpdate(skus: readonly string[]): Read<Map<string, Inventory>> {
  return {
    queries: [preparedQuery('SELECT sku, available, version FROM write.inventory WHERE sku = ANY($1) ORDER BY sku FOR UPDATE', [skus])],
    parse: ([result]) => bySku(result),
  };
}

/**
 * The stock of an order's SKUs, locked in SKU order. The SKUs come from the order's lines in the
 * same statement (lines never change once placed), so the lock needs no round trip of its own.
 */
export function inventoryOfOrderForUpdate(orderId: string): Read<Map<string, Inventory>> {
  return {
    queries: [
      preparedQuery(
        `SELECT sku, available, version FROM write.inventory
         WHERE sku IN (SELECT sku FROM write.order_items WHERE order_id = $1) ORDER BY sku FOR UPDATE`,
        [orderId],
      ),
    ],
    parse: ([result]) => bySku(result),
  };
}

export function insertInventory(statement: WriteStatement, inventory: Inventory, now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  statement.insert(
    'inventory_rows',
    `INSERT INTO write.inventory (sku, available, version, updated_at)
     VALUES (${v(inventory.sku, 'text')}, ${v(inventory.available, 'int')}, ${v(inventory.version, 'bigint')}, ${v(now, 'timestamptz')})
     RETURNING 1`,
  );
}

/** Each row changes only from the version before the one written (the version the decision read). */
export function updateInventory(statement: WriteStatement, inventories: readonly Inventory[], now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  statement.update(
    'inventory_rows',
    `UPDATE write.inventory AS i SET available = u.available, version = u.version, updated_at = ${v(now, 'timestamptz')}
     FROM unnest(${v(inventories.map((i) => i.sku), 'text[]')}, ${v(inventories.map((i) => i.available), 'int[]')},
       ${v(inventories.map((i) => i.version), 'bigint[]')}) AS u(sku, available, version)
     WHERE i.sku = u.sku AND i.version = u.version - 1
     RETURNING 1`,
    inventories.length,
  );
}
