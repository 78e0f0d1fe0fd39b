// The order aggregate. Totals are computed here from catalog prices, never taken from
// the client; the address and the order itself can change only until it ships.
import { InvariantViolation } from '../../lib/errors.ts';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import type { OrderLine, ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { OrderState } from '../../schemas/orderState.ts';
import { MAX_ORDER_TOTAL_CENTS } from './limits.ts';
import type { PendingEvent } from './pendingEvent.ts';
import type { Product } from './product.ts';

export const MAX_ORDER_LINES = 100;

export interface Order extends OrderState {
  version: number;
}

/** A line as the client asks for it; the server prices it into an OrderLine. */
export type RequestedLine = Pick<OrderLine, 'sku' | 'quantity'>;

export function placeOrder(input: {
  orderId: string;
  customerId: string;
  lines: RequestedLine[];
  products: ReadonlyMap<string, Product>;
  shippingAddress: ShippingAddress;
}): { order: Order; event: PendingEvent<'OrderPlaced'> } {
  const { orderId, customerId, lines, products, shippingAddress } = input;
  if (lines.length < 1 || lines.length > MAX_ORDER_LINES) {
    throw new InvariantViolation('order_line_count', `an order has 1 to ${MAX_ORDER_LINES} lines, got ${lines.length}`, { lines: lines.length });
  }
  const items = lines.map(({ sku, quantity }): OrderLine => {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) {
      throw new InvariantViolation('quantity_not_positive', `quantity of ${sku} must be a positive whole number, got ${quantity}`, { sku, quantity });
    }
    const product = products.get(sku);
    if (!product) throw new InvariantViolation('unknown_sku', `SKU ${sku} is not in the catalog`, { sku });
    return { sku, name: product.name, category: product.category, quantity, unitPriceCents: product.priceCents, lineTotalCents: product.priceCents * quantity };
  });
  const totalCents = items.reduce((sum, line) => sum + line.lineTotalCents, 0);
  // Checked before anything is encoded: past the bound a total (or, with a price stored before
  // prices were bounded, a line total) would no longer be a safe integer for the Avro long.
  if (totalCents > MAX_ORDER_TOTAL_CENTS) {
    throw new InvariantViolation('order_total_too_large', `an order totals at most ${MAX_ORDER_TOTAL_CENTS} cents, this one would total ${totalCents}`, {
      totalCents,
      maxTotalCents: MAX_ORDER_TOTAL_CENTS,
    });
  }
  const order: Order = {
    orderId, customerId, status: 'placed', items, totalCents, shippingAddress,
    cancelReason: null, carrier: null, trackingNumber: null, version: 1,
  };
  return {
    order,
    event: { type: 'OrderPlaced', aggregateId: orderId, aggregateVersion: order.version, body: { ...orderIds(order), items, totalCents, shippingAddress } },
  };
}

/** Units per SKU across all lines: what the order reserves (or releases when cancelled). */
export function unitsBySku(items: readonly { sku: string; quantity: number }[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const { sku, quantity } of items) units.set(sku, (units.get(sku) ?? 0) + quantity);
  return units;
}

function assertNotShipped(order: Order, action: string): void {
  if (order.status !== 'placed') {
    throw new InvariantViolation(`order_${order.status}`, `order ${order.orderId} is ${order.status}: cannot ${action}`, { status: order.status });
  }
}

export function cancelOrder(order: Order, reason: string | null): { order: Order; event: PendingEvent<'OrderCancelled'> } {
  assertNotShipped(order, 'cancel it');
  const next: Order = { ...order, status: 'cancelled', cancelReason: reason, version: order.version + 1 };
  return {
    order: next,
    event: { type: 'OrderCancelled', aggregateId: next.orderId, aggregateVersion: next.version, body: { ...orderIds(next), reason, items: order.items, totalCents: order.totalCents } },
  };
}

export function shipOrder(order: Order, carrier: string | null, trackingNumber: string | null): { order: Order; event: PendingEvent<'OrderShipped'> } {
  assertNotShipped(order, 'ship it');
  const next: Order = { ...order, status: 'shipped', carrier, trackingNumber, version: order.version + 1 };
  return {
    order: next,
    event: { type: 'OrderShipped', aggregateId: next.orderId, aggregateVersion: next.version, body: { ...orderIds(next), carrier, trackingNumber } },
  };
}

export function updateShippingAddress(order: Order, shippingAddress: ShippingAddress): { order: Order; event: PendingEvent<'ShippingAddressUpdated'> } {
  assertNotShipped(order, 'change its shipping address');
  const next: Order = { ...order, shippingAddress, version: order.version + 1 };
  return {
    order: next,
    event: { type: 'ShippingAddressUpdated', aggregateId: next.orderId, aggregateVersion: next.version, body: { ...orderIds(next), shippingAddress } },
  };
}

/** The fields every order event's body starts with: consumers key by order and by customer. */
function orderIds(order: Order): Pick<EventBody<'OrderPlaced'>, 'orderId' | 'customerId'> {
  return { orderId: order.orderId, customerId: order.customerId };
}
