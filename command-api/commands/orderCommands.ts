// Order commands. Placing an order reserves every line's stock in the same
// transaction (InventoryAdjusted "reserved" per SKU); cancelling releases it.
import crypto from 'node:crypto';
import { InvariantViolation, NotFound } from '../../lib/errors.ts';
import type { Principal } from '../../lib/auth/principal.ts';
import { adjustInventory, type Inventory } from '../domain/inventory.ts';
import type { ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import {
  cancelOrder, placeOrder, shipOrder, unitsBySku, updateShippingAddress,
  type Order, type RequestedLine,
} from '../domain/order.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import { inventoryForUpdate, inventoryOfOrderForUpdate, updateInventory } from '../persistence/inventoryRepository.ts';
import { insertOrder, orderForUpdate, updateOrder } from '../persistence/orderRepository.ts';
import { productsForShare } from '../persistence/productRepository.ts';
import { assertVersion } from './expectedVersion.ts';
import { commandPlan, type CommandPlan } from './commandPlan.ts';

const orderLocation = (orderId: string) => `/orders/${orderId}`;

/** Moves stock for every SKU of an order (rows locked by the reads), one inventory event per SKU. */
function moveStock(stock: ReadonlyMap<string, Inventory>, order: Order, direction: 'reserved' | 'released'): { changed: Inventory[]; events: PendingEvent[] } {
  const changed: Inventory[] = [];
  const events: PendingEvent[] = [];
  for (const [sku, quantity] of [...unitsBySku(order.items)].sort(([a], [b]) => a.localeCompare(b))) {
    const current = stock.get(sku);
    if (!current) throw new InvariantViolation('unknown_sku', `SKU ${sku} has no inventory`, { sku });
    const { inventory, event } = adjustInventory(current, direction === 'reserved' ? -quantity : quantity, direction, order.orderId);
    changed.push(inventory);
    events.push(event);
  }
  return { changed, events };
}

/**
 * Reads the catalog prices (shared locks) and locks the stock of every SKU in SKU order, both in
 * the first round trip; the SKUs are the requested lines', the same set the order reserves.
 */
export function placeOrderCommand(customerId: string, lines: RequestedLine[], shippingAddress: ShippingAddress): CommandPlan {
  const skus = [...new Set(lines.map((l) => l.sku))];
  return commandPlan([productsForShare(skus), inventoryForUpdate(skus)], ([products, stock], now) => {
    const { order, event } = placeOrder({ orderId: crypto.randomUUID(), customerId, lines, products, shippingAddress });
    const reservations = moveStock(stock, order, 'reserved');
    return {
      status: 201, aggregateId: order.orderId, version: order.version, location: orderLocation(order.orderId), events: [event, ...reservations.events],
      write(statement) {
        updateInventory(statement, reservations.changed, now);
        insertOrder(statement, order, now);
      },
    };
  });
}

/**
 * Checks a loaded order for change, enforcing that a customer only touches its own orders.
 * Another customer's order is 404, the same answer as one that does not exist (as the query API
 * answers), so a customer key cannot probe which order ids exist.
 */
function changeableOrder(order: Order | undefined, principal: Principal, orderId: string, expectedVersion: number | undefined): Order {
  if (!order || (principal.role === 'customer' && order.customerId !== principal.customerId)) throw new NotFound('order', orderId);
  assertVersion('order', orderId, expectedVersion, order.version);
  return order;
}

/**
 * Locks the order, then the stock of its SKUs, in the first round trip: the stock is locked even
 * when the decision then refuses (an order shipped already), which costs a moment's lock instead
 * of a round trip.
 */
export function cancelOrderCommand(principal: Principal, orderId: string, reason: string | null, expectedVersion: number | undefined): CommandPlan {
  return commandPlan([orderForUpdate(orderId), inventoryOfOrderForUpdate(orderId)], ([loaded, stock], now) => {
    const current = changeableOrder(loaded, principal, orderId, expectedVersion);
    const { order, event } = cancelOrder(current, reason);
    const releases = moveStock(stock, current, 'released');
    return {
      status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event, ...releases.events],
      write(statement) {
        updateOrder(statement, order, now);
        updateInventory(statement, releases.changed, now);
      },
    };
  });
}

export function shipOrderCommand(principal: Principal, orderId: string, carrier: string | null, trackingNumber: string | null, expectedVersion: number | undefined): CommandPlan {
  return commandPlan([orderForUpdate(orderId)], ([loaded], now) => {
    const { order, event } = shipOrder(changeableOrder(loaded, principal, orderId, expectedVersion), carrier, trackingNumber);
    return {
      status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event],
      write: (statement) => updateOrder(statement, order, now),
    };
  });
}

export function updateShippingAddressCommand(principal: Principal, orderId: string, address: ShippingAddress, expectedVersion: number | undefined): CommandPlan {
  return commandPlan([orderForUpdate(orderId)], ([loaded], now) => {
    const { order, event } = updateShippingAddress(changeableOrder(loaded, principal, orderId, expectedVersion), address);
    return {
      status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event],
      write: (statement) => updateOrder(statement, order, now),
    };
  });
}
