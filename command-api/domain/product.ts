// The product aggregate (id = SKU): catalog data with a price that is always positive and bounded.
import { InvariantViolation } from '../../lib/errors.ts';
import { MAX_PRICE_CENTS } from './limits.ts';
import type { PendingEvent } from './pendingEvent.ts';

export interface ProductFields {
  name: string;
  description: string;
  category: string;
  brand: string;
  priceCents: number;
}

export interface Product extends ProductFields {
  sku: string;
  version: number;
}

function assertPrice(priceCents: number): void {
  if (!Number.isSafeInteger(priceCents) || priceCents <= 0) {
    throw new InvariantViolation('price_not_positive', `price must be a positive whole number of cents, got ${priceCents}`, { priceCents });
  }
  if (priceCents > MAX_PRICE_CENTS) {
    throw new InvariantViolation('price_too_large', `price must be at most ${MAX_PRICE_CENTS} cents, got ${priceCents}`, { priceCents, maxPriceCents: MAX_PRICE_CENTS });
  }
}

function productEvent(type: 'ProductCreated' | 'ProductUpdated', product: Product): PendingEvent {
  const { sku, name, description, category, brand, priceCents } = product;
  return { type, aggregateId: sku, aggregateVersion: product.version, body: { sku, name, description, category, brand, priceCents } };
}

export function createProduct(sku: string, fields: ProductFields): { product: Product; event: PendingEvent } {
  assertPrice(fields.priceCents);
  const product = { sku, ...fields, version: 1 };
  return { product, event: productEvent('ProductCreated', product) };
}

export function updateProduct(current: Product, changes: Partial<ProductFields>): { product: Product; event: PendingEvent } {
  const next = { ...current, ...changes, version: current.version + 1 };
  assertPrice(next.priceCents);
  return { product: next, event: productEvent('ProductUpdated', next) };
}
