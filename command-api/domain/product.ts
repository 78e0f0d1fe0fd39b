// The product aggregate (id = SKU): catalog data with a price that is always positive and bounded.
import { InvariantViolation } from '../../lib/errors.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import { MAX_PRICE_CENTS } from './limits.ts';
import type { PendingEvent } from './pendingEvent.ts';

/** A product's catalog data: what ProductCreated and ProductUpdated carry besides the SKU. */
export type ProductFields = Omit<EventBody<'ProductCreated'>, 'sku'>;

export interface Product extends EventBody<'ProductCreated'> {
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

// ProductCreated and ProductUpdated carry the same fields: the complete state.
function productBody(product: Product): EventBody<'ProductCreated' | 'ProductUpdated'> {
  const { sku, name, description, category, brand, priceCents } = product;
  return { sku, name, description, category, brand, priceCents };
}

export function createProduct(sku: string, fields: ProductFields): { product: Product; event: PendingEvent<'ProductCreated'> } {
  assertPrice(fields.priceCents);
  const product = { sku, ...fields, version: 1 };
  return { product, event: { type: 'ProductCreated', aggregateId: sku, aggregateVersion: product.version, body: productBody(product) } };
}

export function updateProduct(current: Product, changes: Partial<ProductFields>): { product: Product; event: PendingEvent<'ProductUpdated'> } {
  const next = { ...current, ...changes, version: current.version + 1 };
  assertPrice(next.priceCents);
  return { product: next, event: { type: 'ProductUpdated', aggregateId: next.sku, aggregateVersion: next.version, body: productBody(next) } };
}
