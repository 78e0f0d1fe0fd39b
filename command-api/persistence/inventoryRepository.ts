// Stock per SKU. Rows are locked in SKU order so two orders that share SKUs always
// queue in the same order and cannot deadlock.
import type pg from 'pg';
import type { Inventory } from '../domain/inventory.ts';

interface InventoryRow {
  sku: string;
  available: number;
  version: string;
}

const toInventory = (row: InventoryRow): Inventory => ({ sku: row.sku, available: row.available, version: Number(row.version) });

export async function lockInventory(tx: pg.ClientBase, skus: readonly string[]): Promise<Map<string, Inventory>> {
  const { rows } = await tx.query<InventoryRow>(
    'SELECT sku, available, version FROM write.inventory WHERE sku = ANY($1) ORDER BY sku FOR UPDATE',
    [[...skus]],
  );
  return new Map(rows.map((row) => [row.sku, toInventory(row)]));
}

export async function insertInventory(tx: pg.ClientBase, inventory: Inventory, now: Date): Promise<void> {
  await tx.query('INSERT INTO write.inventory (sku, available, version, updated_at) VALUES ($1, $2, $3, $4)', [
    inventory.sku, inventory.available, inventory.version, now,
  ]);
}

export async function saveInventory(tx: pg.ClientBase, inventories: readonly Inventory[], now: Date): Promise<void> {
  if (inventories.length === 0) return;
  await tx.query(
    `UPDATE write.inventory AS i SET available = u.available, version = u.version, updated_at = $4
     FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(sku, available, version) WHERE i.sku = u.sku`,
    [inventories.map((i) => i.sku), inventories.map((i) => i.available), inventories.map((i) => i.version), now],
  );
}
