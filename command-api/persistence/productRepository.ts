// Products in the write model. The reads lock: FOR UPDATE serializes commands on one product for
// the rest of the transaction, FOR SHARE keeps an order's prices stable until it commits.
import type pg from 'pg';
import { uniqueViolationConstraint } from '../../lib/postgresFailure.ts';
import type { Product } from '../domain/product.ts';
import type { Read } from './read.ts';
import { preparedQuery, type WriteStatement } from './writeStatement.ts';

// The columns named like the product's fields hold them as they are; node-pg returns bigint columns as strings.
type ProductRow = Pick<Product, 'sku' | 'name' | 'description' | 'category' | 'brand'> & { price_cents: string; version: string };

// Named columns, not *: a prepared statement fails once its result columns change.
const PRODUCT_COLUMNS = 'sku, name, description, category, brand, price_cents, version';

const toProduct = (row: ProductRow): Product => ({
  sku: row.sku,
  name: row.name,
  description: row.description,
  category: row.category,
  brand: row.brand,
  priceCents: Number(row.price_cents),
  version: Number(row.version),
});

export function productForUpdate(sku: string): Read<Product | undefined> {
  return {
    queries: [preparedQuery(`SELECT ${PRODUCT_COLUMNS} FROM write.products WHERE sku = $1 FOR UPDATE`, [sku])],
    parse: ([result]) => {
      const row = (result as pg.QueryResult<ProductRow>).rows[0];
      return row && toProduct(row);
    },
  };
}

/** The products of an order's lines, under a shared lock. */
export function productsForShare(skus: readonly string[]): Read<Map<string, Product>> {
  return {
    queries: [preparedQuery(`SELECT ${PRODUCT_COLUMNS} FROM write.products WHERE sku = ANY($1) FOR SHARE`, [skus])],
    parse: ([result]) => new Map((result as pg.QueryResult<ProductRow>).rows.map((row) => [row.sku, toProduct(row)])),
  };
}

/** Inserts the product; a SKU that exists already raises products_pkey (isDuplicateProduct). */
export function insertProduct(statement: WriteStatement, p: Product, now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  const at = v(now, 'timestamptz');
  statement.insert(
    'product_row',
    `INSERT INTO write.products (sku, name, description, category, brand, price_cents, version, created_at, updated_at)
     VALUES (${v(p.sku, 'text')}, ${v(p.name, 'text')}, ${v(p.description, 'text')}, ${v(p.category, 'text')}, ${v(p.brand, 'text')},
       ${v(p.priceCents, 'bigint')}, ${v(p.version, 'bigint')}, ${at}, ${at})
     RETURNING 1`,
  );
}

export function updateProduct(statement: WriteStatement, p: Product, now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  statement.update(
    'product_row',
    `UPDATE write.products SET name = ${v(p.name, 'text')}, description = ${v(p.description, 'text')}, category = ${v(p.category, 'text')},
       brand = ${v(p.brand, 'text')}, price_cents = ${v(p.priceCents, 'bigint')}, version = ${v(p.version, 'bigint')}, updated_at = ${v(now, 'timestamptz')}
     WHERE sku = ${v(p.sku, 'text')} AND version = ${v(p.version - 1, 'bigint')}
     RETURNING 1`,
    1,
  );
}

/** The write statement failed because the product (or its inventory row) exists already. */
export function isDuplicateProduct(error: unknown): boolean {
  const constraint = uniqueViolationConstraint(error);
  return constraint === 'products_pkey' || constraint === 'inventory_pkey';
}
