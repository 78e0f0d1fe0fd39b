import t from 'tap';
import { adjustInventory } from '../../command-api/domain/inventory.ts';
import { cancelOrder, placeOrder, shipOrder, unitsBySku, updateShippingAddress, MAX_ORDER_LINES } from '../../command-api/domain/order.ts';
import { createProduct, updateProduct } from '../../command-api/domain/product.ts';
import { MAX_ORDER_TOTAL_CENTS, MAX_PRICE_CENTS, MAX_STOCK_UNITS } from '../../command-api/domain/limits.ts';

const address = { name: 'A', line1: 'L', line2: null, city: 'C', postalCode: 'P', country: 'GB' };
const products = new Map([
  ['shoe', { sku: 'shoe', name: 'Shoe', description: '', category: 'shoes', brand: 'b', priceCents: 1999, version: 1 }],
  ['sock', { sku: 'sock', name: 'Sock', description: '', category: 'socks', brand: 'b', priceCents: 250, version: 3 }],
]);
const place = (lines: { sku: string; quantity: number }[]) => placeOrder({ orderId: 'o-1', customerId: 'c-1', lines, products, shippingAddress: address });

t.test('totals come from catalog prices, never from the client', async (t) => {
  const { order, event } = place([{ sku: 'shoe', quantity: 2 }, { sku: 'sock', quantity: 4 }]);
  t.equal(order.totalCents, 2 * 1999 + 4 * 250);
  t.same(order.items.map((l) => l.lineTotalCents), [3998, 1000]);
  t.match(event, { type: 'OrderPlaced', aggregateId: 'o-1', aggregateVersion: 1, body: { totalCents: 4998, customerId: 'c-1' } });
});

t.test('order invariants: 1..100 lines, positive quantities, known SKUs', async (t) => {
  t.throws(() => place([]), { name: 'InvariantViolation', rule: 'order_line_count' });
  t.throws(() => place(Array.from({ length: MAX_ORDER_LINES + 1 }, () => ({ sku: 'shoe', quantity: 1 }))), { name: 'InvariantViolation', rule: 'order_line_count' });
  t.throws(() => place([{ sku: 'shoe', quantity: 0 }]), { name: 'InvariantViolation', rule: 'quantity_not_positive' });
  t.throws(() => place([{ sku: 'hat', quantity: 1 }]), { name: 'InvariantViolation', rule: 'unknown_sku' });
});

t.test('only a placed order can be cancelled, shipped or re-addressed', async (t) => {
  const { order } = place([{ sku: 'shoe', quantity: 1 }]);
  const cancelled = cancelOrder(order, 'oops');
  t.match(cancelled, { order: { status: 'cancelled', version: 2 }, event: { type: 'OrderCancelled', body: { reason: 'oops', totalCents: 1999 } } });
  t.throws(() => shipOrder(cancelled.order, null, null), { name: 'InvariantViolation', rule: 'order_cancelled' });
  const shipped = shipOrder(order, 'DHL', 'T1');
  t.throws(() => updateShippingAddress(shipped.order, address), { name: 'InvariantViolation', rule: 'order_shipped' });
  t.throws(() => cancelOrder(shipped.order, null), { name: 'InvariantViolation', rule: 'order_shipped' });
  t.equal(updateShippingAddress(order, { ...address, city: 'Bath' }).order.shippingAddress.city, 'Bath');
});

t.test('units are summed per SKU across lines', async (t) => {
  t.same([...unitsBySku([{ sku: 'a', quantity: 1 }, { sku: 'b', quantity: 2 }, { sku: 'a', quantity: 3 }])], [['a', 4], ['b', 2]]);
});

t.test('stock never goes below zero, and every move is a versioned event', async (t) => {
  const stock = { sku: 'shoe', available: 2, version: 4 };
  t.match(adjustInventory(stock, -2, 'reserved', 'o-1'), { inventory: { available: 0, version: 5 }, event: { aggregateVersion: 5, body: { delta: -2, available: 0, orderId: 'o-1' } } });
  t.throws(() => adjustInventory(stock, -3, 'damaged'), { name: 'InvariantViolation', rule: 'insufficient_stock' });
  t.throws(() => adjustInventory(stock, 0, 'correction'), { name: 'InvariantViolation', rule: 'adjustment_not_whole' });
});

t.test('a product price must stay positive', async (t) => {
  t.throws(() => createProduct('x', { name: 'n', description: '', category: 'c', brand: 'b', priceCents: 0 }), { name: 'InvariantViolation', rule: 'price_not_positive' });
  const { product } = createProduct('x', { name: 'n', description: '', category: 'c', brand: 'b', priceCents: 5 });
  t.throws(() => updateProduct(product, { priceCents: -1 }), { name: 'InvariantViolation', rule: 'price_not_positive' });
  t.match(updateProduct(product, { name: 'm' }), { product: { name: 'm', priceCents: 5, version: 2 }, event: { type: 'ProductUpdated' } });
});

t.test('placing an order: every line and every field of the order and its event', async (t) => {
  const { order, event } = place([{ sku: 'sock', quantity: 3 }]);
  const items = [{ sku: 'sock', name: 'Sock', category: 'socks', quantity: 3, unitPriceCents: 250, lineTotalCents: 750 }];
  t.same(order, {
    orderId: 'o-1', customerId: 'c-1', status: 'placed', items, totalCents: 750, shippingAddress: address,
    cancelReason: null, carrier: null, trackingNumber: null, version: 1,
  });
  t.same(event, {
    type: 'OrderPlaced', aggregateId: 'o-1', aggregateVersion: 1,
    body: { orderId: 'o-1', customerId: 'c-1', items, totalCents: 750, shippingAddress: address },
  });
});

t.test('an order of exactly 1 or exactly 100 lines is accepted', async (t) => {
  t.equal(place([{ sku: 'shoe', quantity: 1 }]).order.items.length, 1);
  t.equal(place(Array.from({ length: MAX_ORDER_LINES }, () => ({ sku: 'sock', quantity: 1 }))).order.totalCents, MAX_ORDER_LINES * 250);
});

t.test('a refused order says why, with the offending values', async (t) => {
  t.throws(() => place([]), { message: 'an order has 1 to 100 lines, got 0', details: { rule: 'order_line_count', lines: 0 } });
  t.throws(() => place([{ sku: 'shoe', quantity: 1.5 }]), {
    rule: 'quantity_not_positive',
    message: 'quantity of shoe must be a positive whole number, got 1.5',
    details: { sku: 'shoe', quantity: 1.5 },
  });
  t.throws(() => place([{ sku: 'shoe', quantity: -1 }]), { name: 'InvariantViolation', rule: 'quantity_not_positive' });
  t.throws(() => place([{ sku: 'hat', quantity: 1 }]), { message: 'SKU hat is not in the catalog', details: { sku: 'hat' } });
});

t.test('cancelling, shipping and re-addressing: the next version and exactly its event', async (t) => {
  const { order } = place([{ sku: 'shoe', quantity: 2 }]);
  const cancelled = cancelOrder(order, null);
  t.same(cancelled.order, { ...order, status: 'cancelled', cancelReason: null, version: 2 });
  t.same(cancelled.event, {
    type: 'OrderCancelled', aggregateId: 'o-1', aggregateVersion: 2,
    body: { orderId: 'o-1', customerId: 'c-1', reason: null, items: order.items, totalCents: 3998 },
  });
  const shipped = shipOrder(order, 'DHL', 'T1');
  t.same(shipped.order, { ...order, status: 'shipped', carrier: 'DHL', trackingNumber: 'T1', version: 2 });
  t.same(shipped.event, { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: { orderId: 'o-1', customerId: 'c-1', carrier: 'DHL', trackingNumber: 'T1' } });
  const moved = { ...address, city: 'Bath' };
  const readdressed = updateShippingAddress(order, moved);
  t.same(readdressed.order, { ...order, shippingAddress: moved, version: 2 });
  t.same(readdressed.event, { type: 'ShippingAddressUpdated', aggregateId: 'o-1', aggregateVersion: 2, body: { orderId: 'o-1', customerId: 'c-1', shippingAddress: moved } });
});

t.test('an order that is no longer placed says what it is and what was refused', async (t) => {
  const { order } = place([{ sku: 'shoe', quantity: 1 }]);
  const shipped = shipOrder(order, null, null).order;
  const cancelled = cancelOrder(order, 'x').order;
  t.throws(() => cancelOrder(shipped, null), { message: 'order o-1 is shipped: cannot cancel it', details: { rule: 'order_shipped', status: 'shipped' } });
  t.throws(() => shipOrder(shipped, null, null), { message: 'order o-1 is shipped: cannot ship it' });
  t.throws(() => updateShippingAddress(cancelled, address), { message: 'order o-1 is cancelled: cannot change its shipping address', details: { status: 'cancelled' } });
  t.throws(() => cancelOrder(cancelled, null), { name: 'InvariantViolation', rule: 'order_cancelled' });
});

t.test('an inventory adjustment: whole non-zero units, the event carries the move and its reason', async (t) => {
  const stock = { sku: 'shoe', available: 2, version: 4 };
  t.same(adjustInventory(stock, 3, 'restock'), {
    inventory: { sku: 'shoe', available: 5, version: 5 },
    event: { type: 'InventoryAdjusted', aggregateId: 'shoe', aggregateVersion: 5, body: { sku: 'shoe', delta: 3, available: 5, reason: 'restock', orderId: null } },
  });
  t.throws(() => adjustInventory(stock, 0.5, 'correction'), {
    rule: 'adjustment_not_whole',
    message: 'an adjustment must move a non-zero whole number of units, got 0.5',
    details: { delta: 0.5 },
  });
  t.throws(() => adjustInventory(stock, -3, 'damaged'), {
    message: 'SKU shoe has 2 available, cannot take 3',
    details: { rule: 'insufficient_stock', sku: 'shoe', available: 2, requested: 3 },
  });
});

t.test('a product: created at version 1, every update a full event, prices whole and positive', async (t) => {
  const fields = { name: 'n', description: 'd', category: 'c', brand: 'b', priceCents: 1 };
  const created = createProduct('x', fields);
  t.same(created, {
    product: { sku: 'x', ...fields, version: 1 },
    event: { type: 'ProductCreated', aggregateId: 'x', aggregateVersion: 1, body: { sku: 'x', ...fields } },
  });
  t.same(updateProduct(created.product, { priceCents: 7 }).event, {
    type: 'ProductUpdated', aggregateId: 'x', aggregateVersion: 2, body: { sku: 'x', ...fields, priceCents: 7 },
  });
  t.throws(() => createProduct('x', { ...fields, priceCents: 9.99 }), {
    rule: 'price_not_positive',
    message: 'price must be a positive whole number of cents, got 9.99',
    details: { priceCents: 9.99 },
  });
});

t.test('bounds: a price, an order total and stock never pass their documented limits', async (t) => {
  const fields = { name: 'n', description: '', category: 'c', brand: 'b' };
  t.equal(createProduct('x', { ...fields, priceCents: MAX_PRICE_CENTS }).product.priceCents, MAX_PRICE_CENTS, 'the limit itself is a valid price');
  t.throws(() => createProduct('x', { ...fields, priceCents: MAX_PRICE_CENTS + 1 }), { name: 'InvariantViolation', rule: 'price_too_large' });

  const dear = new Map([['gem', { sku: 'gem', ...fields, priceCents: MAX_PRICE_CENTS, version: 1 }]]);
  const order = (quantity: number) => placeOrder({ orderId: 'o-1', customerId: 'c-1', lines: [{ sku: 'gem', quantity }], products: dear, shippingAddress: address });
  const atLimit = MAX_ORDER_TOTAL_CENTS / MAX_PRICE_CENTS;
  t.equal(order(atLimit).order.totalCents, MAX_ORDER_TOTAL_CENTS, 'a total at the limit is accepted');
  t.throws(() => order(atLimit + 1), { name: 'InvariantViolation', rule: 'order_total_too_large' });

  const stock = { sku: 'shoe', available: MAX_STOCK_UNITS - 1, version: 1 };
  t.equal(adjustInventory(stock, 1, 'restock').inventory.available, MAX_STOCK_UNITS, 'stock may reach the limit');
  t.throws(() => adjustInventory(stock, 2, 'released', 'o-1'), { name: 'InvariantViolation', rule: 'stock_too_large' });
});
