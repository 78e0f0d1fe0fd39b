// The inventory aggregate (one per SKU): available units, never below zero. Every
// change, including an order's reservation and its release, is one of its events.
import { InvariantViolation } from '../../lib/errors.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import { MAX_STOCK_UNITS } from './limits.ts';
import type { PendingEvent } from './pendingEvent.ts';

/** The stock of a SKU, at the version of its last InventoryAdjusted (0 before the first). */
export interface Inventory extends Pick<EventBody<'InventoryAdjusted'>, 'sku' | 'available'> {
  version: number;
}

/** Why stock moved: the first three are an operator's, the last two an order's. */
export const ADJUSTMENT_REASONS = ['restock', 'correction', 'damaged', 'reserved', 'released'] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];
export const OPERATOR_REASONS = ['restock', 'correction', 'damaged'] as const;

export function adjustInventory(
  current: Inventory,
  delta: number,
  reason: AdjustmentReason,
  orderId: string | null = null,
): { inventory: Inventory; event: PendingEvent<'InventoryAdjusted'> } {
  if (!Number.isSafeInteger(delta) || delta === 0) {
    throw new InvariantViolation('adjustment_not_whole', `an adjustment must move a non-zero whole number of units, got ${delta}`, { delta });
  }
  const available = current.available + delta;
  if (available < 0) {
    throw new InvariantViolation('insufficient_stock', `SKU ${current.sku} has ${current.available} available, cannot take ${-delta}`, {
      sku: current.sku,
      available: current.available,
      requested: -delta,
    });
  }
  // The stock column and the event's field are 32-bit integers.
  if (available > MAX_STOCK_UNITS) {
    throw new InvariantViolation('stock_too_large', `SKU ${current.sku} has ${current.available} available; adding ${delta} would pass the maximum of ${MAX_STOCK_UNITS}`, {
      sku: current.sku,
      available: current.available,
      delta,
      maxStock: MAX_STOCK_UNITS,
    });
  }
  const inventory = { sku: current.sku, available, version: current.version + 1 };
  return {
    inventory,
    event: { type: 'InventoryAdjusted', aggregateId: current.sku, aggregateVersion: inventory.version, body: { sku: current.sku, delta, available, reason, orderId } },
  };
}
