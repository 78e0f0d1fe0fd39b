import t from 'tap';
import { adjustInventory } from '../../command-api/domain/inventory.ts';
import { cancelOrder, placeOrder, shipOrder, unitsBySku, updateShippingAddress, MAX_ORDER_LINES } from '../../command-api/domain/order.ts';
import { createProduct, updateProduct } from '../../command-api/domain/product.ts';

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
