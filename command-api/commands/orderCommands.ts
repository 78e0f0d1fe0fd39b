// Order commands. Placing an order reserves every line's stock in the same
// transaction (InventoryAdjusted "reserved" per SKU); cancelling releases it.
import crypto from 'node:crypto';
import type pg from 'pg';
import { Forbidden, InvariantViolation, NotFound } from '../../lib/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { adjustInventory, type Inventory } from '../domain/inventory.ts';
import {
  cancelOrder, placeOrder, shipOrder, unitsBySku, updateShippingAddress,
  type Order, type RequestedLine, type ShippingAddress,
} from '../domain/order.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import { lockInventory, saveInventory } from '../persistence/inventoryRepository.ts';
import { findOrderForUpdate, insertOrder, updateOrderRow } from '../persistence/orderRepository.ts';
import { findProducts } from '../persistence/productRepository.ts';
import { assertVersion } from './catalogCommands.ts';
import type { Decision } from './commandExecutor.ts';

type Decide = (tx: pg.ClientBase, now: Date) => Promise<Decision>;

const orderLocation = (orderId: string) => `/orders/${orderId}`;

/** Moves stock for every SKU of an order, one inventory event per SKU. */
async function moveStock(tx: pg.ClientBase, order: Order, direction: 'reserved' | 'released', now: Date): Promise<PendingEvent[]> {
  const units = unitsBySku(order.items);
  const stock = await lockInventory(tx, [...units.keys()]);
  const changed: Inventory[] = [];
  const events: PendingEvent[] = [];
  for (const [sku, quantity] of [...units].sort(([a], [b]) => a.localeCompare(b))) {
    const current = stock.get(sku);
    if (!current) throw new InvariantViolation('unknown_sku', `SKU ${sku} has no inventory`, { sku });
    const { inventory, event } = adjustInventory(current, direction === 'reserved' ? -quantity : quantity, direction, order.orderId);
    changed.push(inventory);
    events.push(event);
  }
  await saveInventory(tx, changed, now);
  return events;
}

export function placeOrderCommand(customerId: string, lines: RequestedLine[], shippingAddress: ShippingAddress): Decide {
  return async (tx, now) => {
    const products = await findProducts(tx, [...new Set(lines.map((l) => l.sku))]);
    const { order, event } = placeOrder({ orderId: crypto.randomUUID(), customerId, lines, products, shippingAddress });
    const reservations = await moveStock(tx, order, 'reserved', now);
    await insertOrder(tx, order, now);
    return { status: 201, aggregateId: order.orderId, version: order.version, location: orderLocation(order.orderId), events: [event, ...reservations] };
  };
}

/** Loads an order for change, enforcing that a customer only touches its own orders. */
async function loadOrder(tx: pg.ClientBase, principal: Principal, orderId: string, expectedVersion: number | undefined): Promise<Order> {
  const order = await findOrderForUpdate(tx, orderId);
  if (!order) throw new NotFound('order', orderId);
  if (principal.role === 'customer' && order.customerId !== principal.customerId) {
    throw new Forbidden(`order ${orderId} belongs to another customer`);
  }
  assertVersion('order', orderId, expectedVersion, order.version);
  return order;
}

export function cancelOrderCommand(principal: Principal, orderId: string, reason: string | null, expectedVersion: number | undefined): Decide {
  return async (tx, now) => {
    const current = await loadOrder(tx, principal, orderId, expectedVersion);
    const { order, event } = cancelOrder(current, reason);
    const releases = await moveStock(tx, current, 'released', now);
    await updateOrderRow(tx, order, now);
    return { status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event, ...releases] };
  };
}

export function shipOrderCommand(principal: Principal, orderId: string, carrier: string | null, trackingNumber: string | null, expectedVersion: number | undefined): Decide {
  return async (tx, now) => {
    const { order, event } = shipOrder(await loadOrder(tx, principal, orderId, expectedVersion), carrier, trackingNumber);
    await updateOrderRow(tx, order, now);
    return { status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event] };
  };
}

export function updateShippingAddressCommand(principal: Principal, orderId: string, address: ShippingAddress, expectedVersion: number | undefined): Decide {
  return async (tx, now) => {
    const { order, event } = updateShippingAddress(await loadOrder(tx, principal, orderId, expectedVersion), address);
    await updateOrderRow(tx, order, now);
    return { status: 200, aggregateId: orderId, version: order.version, location: orderLocation(orderId), events: [event] };
  };
}
