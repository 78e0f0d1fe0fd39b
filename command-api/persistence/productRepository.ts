// Products in the write model. `forUpdate` reads take the row lock that serializes
// concurrent commands on one product for the rest of the transaction.
import type pg from 'pg';
import type { Product } from '../domain/product.ts';

interface ProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  price_cents: string;
  version: string;
}

const toProduct = (row: ProductRow): Product => ({
  sku: row.sku,
  name: row.name,
  description: row.description,
  category: row.category,
  brand: row.brand,
  priceCents: Number(row.price_cents),
  version: Number(row.version),
});

export async function findProduct(tx: pg.ClientBase, sku: string, { forUpdate = false } = {}): Promise<Product | undefined> {
  const { rows } = await tx.query<ProductRow>(`SELECT * FROM write.products WHERE sku = $1${forUpdate ? ' FOR UPDATE' : ''}`, [sku]);
  return rows[0] && toProduct(rows[0]);
}

/** The products of an order's lines; a shared lock keeps prices stable until commit. */
export async function findProducts(tx: pg.ClientBase, skus: readonly string[]): Promise<Map<string, Product>> {
  const { rows } = await tx.query<ProductRow>('SELECT * FROM write.products WHERE sku = ANY($1) FOR SHARE', [skus]);
  return new Map(rows.map((row) => [row.sku, toProduct(row)]));
}

/** Inserts the product; false when the SKU exists already. */
export async function insertProduct(tx: pg.ClientBase, p: Product, now: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO write.products (sku, name, description, category, brand, price_cents, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (sku) DO NOTHING`,
    [p.sku, p.name, p.description, p.category, p.brand, p.priceCents, p.version, now],
  );
  return rowCount === 1;
}

export async function updateProductRow(tx: pg.ClientBase, p: Product, now: Date): Promise<void> {
  await tx.query(
    `UPDATE write.products SET name = $2, description = $3, category = $4, brand = $5, price_cents = $6, version = $7, updated_at = $8
     WHERE sku = $1`,
    [p.sku, p.name, p.description, p.category, p.brand, p.priceCents, p.version, now],
  );
}
