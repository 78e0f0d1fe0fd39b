// One valid payload per event type: for round-trip tests and for trying a projection by hand.
// Typed against the generated interfaces, so a schema change that breaks them fails tsc.
import type { EventPayloads } from './generated/eventTypes.ts';

const envelope = {
  aggregateVersion: 1,
  occurredAt: Date.UTC(2024, 4, 1, 12, 0, 0),
  correlationId: 'corr-0001',
  causationId: null,
};

const address = { name: 'Ada Lovelace', line1: '12 St James Sq', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

const lines = [
  { sku: 'SKU-1', name: 'Teapot', category: 'kitchen', quantity: 2, unitPriceCents: 1999, lineTotalCents: 3998 },
  { sku: 'SKU-2', name: 'Cup', category: 'kitchen', quantity: 1, unitPriceCents: 499, lineTotalCents: 499 },
];

const product = { sku: 'SKU-1', name: 'Teapot', description: 'Cast iron, 1 l', category: 'kitchen', brand: 'Iwachu', priceCents: 1999 };

export const exampleEvents: { readonly [K in keyof EventPayloads]: EventPayloads[K] } = {
  ProductCreated: { ...envelope, eventId: '0b8f5c1e-0000-4000-8000-000000000001', aggregateId: 'SKU-1', ...product },
  ProductUpdated: { ...envelope, eventId: '0b8f5c1e-0000-4000-8000-000000000002', aggregateId: 'SKU-1', aggregateVersion: 2, ...product, priceCents: 2499 },
  InventoryAdjusted: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-000000000003',
    aggregateId: 'SKU-1',
    sku: 'SKU-1',
    delta: -2,
    available: 8,
    reason: 'reserved',
    orderId: 'order-1',
  },
  OrderPlaced: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-000000000004',
    aggregateId: 'order-1',
    orderId: 'order-1',
    customerId: 'customer-1',
    items: lines,
    totalCents: 4497,
    shippingAddress: address,
  },
  OrderCancelled: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-000000000005',
    aggregateId: 'order-1',
    aggregateVersion: 2,
    orderId: 'order-1',
    customerId: 'customer-1',
    reason: 'changed my mind',
    items: lines,
    totalCents: 4497,
  },
  OrderShipped: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-000000000006',
    aggregateId: 'order-1',
    aggregateVersion: 2,
    orderId: 'order-1',
    customerId: 'customer-1',
    carrier: 'DHL',
    trackingNumber: null,
  },
  ShippingAddressUpdated: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-000000000007',
    aggregateId: 'order-1',
    aggregateVersion: 2,
    orderId: 'order-1',
    customerId: 'customer-1',
    shippingAddress: { ...address, line2: 'Flat 3' },
  },
  PaymentAuthorized: { ...envelope, eventId: '0b8f5c1e-0000-4000-8000-000000000008', aggregateId: 'order-1', orderId: 'order-1', amountCents: 4497 },
  PaymentCaptured: { ...envelope, eventId: '0b8f5c1e-0000-4000-8000-000000000009', aggregateId: 'order-1', aggregateVersion: 2, orderId: 'order-1', amountCents: 4497 },
  PaymentRefunded: {
    ...envelope,
    eventId: '0b8f5c1e-0000-4000-8000-00000000000a',
    aggregateId: 'order-1',
    aggregateVersion: 3,
    orderId: 'order-1',
    amountCents: 4497,
    reason: 'returned',
  },
};
