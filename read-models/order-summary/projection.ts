// order-summary: one Redis hash per order with everything `GET /orders/:id` shows.
// Every order event writes the fields it knows with the order's version; the store's
// version guard makes a duplicate or late older event a no-op.
//
// The payment comes from another source (the payments service's database, events.payment), with
// no order between its events and the order's. It lives in the hash's own `payment` field, a JSON
// object guarded by the payment's version, so neither stream's guard sees the other's versions and
// the hash converges whatever the interleaving: a payment applied before its OrderPlaced waits in
// the hash, invisible until the order arrives.
import type { RedisConnection } from '../../lib/redisConnection.ts';
import type { OrderLine, ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { OrderStatus } from '../../schemas/orderState.ts';
import type { PaymentState } from '../../schemas/paymentState.ts';
import { RedisKeyLayout, resolveGeneration, scanKeys } from '../../projectors/stores/redisKeys.ts';
import { readHash } from '../../projectors/stores/redisLiveReads.ts';
import { defineRedisProjection, type RedisOp } from '../../projectors/stores/redisStore.ts';

export const ORDER_SUMMARY = 'order-summary';

export interface OrderSummary {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  totalCents: number;
  shippingAddress: ShippingAddress;
  cancelReason: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  /** When the order was placed (epoch ms). */
  placedAt: number;
  /** When the last applied event happened (epoch ms). */
  updatedAt: number;
  /** The order's aggregate version after the last applied event. */
  version: number;
  /** The order's payment, as the payments service reported it; null until its first event. */
  payment: PaymentState | null;
}

const orderKey = (orderId: string) => `order:${orderId}`;

const PAYMENT_FIELD = 'payment';

function writePayment(orderId: string, version: number, patch: Record<string, string | number | null>): RedisOp[] {
  return [{ op: 'hmergeJsonIfNewer', key: orderKey(orderId), field: PAYMENT_FIELD, version, patch }];
}

function writeOrder(orderId: string, version: number, fields: Record<string, string | null>): RedisOp[] {
  return [{ op: 'hsetIfNewer', key: orderKey(orderId), version, fields }];
}

export const orderSummaryProjection = defineRedisProjection({
  name: ORDER_SUMMARY,
  version: 2,
  handlers: {
    OrderPlaced: ({ event: e }) => {
      const placedAt = String(e.occurredAt);
      return writeOrder(e.orderId, e.aggregateVersion, {
        orderId: e.orderId,
        customerId: e.customerId,
        status: 'placed',
        items: JSON.stringify(e.items),
        totalCents: String(e.totalCents),
        shippingAddress: JSON.stringify(e.shippingAddress),
        placedAt,
        updatedAt: placedAt,
      });
    },
    // cancelReason, carrier and trackingNumber start absent (null): OrderPlaced is version 1,
    // so it only ever writes a hash that has nothing yet.
    OrderCancelled: ({ event: e }) =>
      writeOrder(e.orderId, e.aggregateVersion, {
        orderId: e.orderId,
        customerId: e.customerId,
        status: 'cancelled',
        cancelReason: e.reason,
        updatedAt: String(e.occurredAt),
      }),
    OrderShipped: ({ event: e }) =>
      writeOrder(e.orderId, e.aggregateVersion, {
        orderId: e.orderId,
        customerId: e.customerId,
        status: 'shipped',
        carrier: e.carrier,
        trackingNumber: e.trackingNumber,
        updatedAt: String(e.occurredAt),
      }),
    ShippingAddressUpdated: ({ event: e }) =>
      writeOrder(e.orderId, e.aggregateVersion, {
        orderId: e.orderId,
        customerId: e.customerId,
        shippingAddress: JSON.stringify(e.shippingAddress),
        updatedAt: String(e.occurredAt),
      }),
    PaymentAuthorized: ({ event: e }) => writePayment(e.orderId, e.aggregateVersion, { status: 'authorized', amountCents: e.amountCents, refundReason: null }),
    PaymentCaptured: ({ event: e }) => writePayment(e.orderId, e.aggregateVersion, { status: 'captured', amountCents: e.amountCents }),
    PaymentRefunded: ({ event: e }) => writePayment(e.orderId, e.aggregateVersion, { status: 'refunded', amountCents: e.amountCents, refundReason: e.reason }),
  },
});

function parsePayment(json: string | undefined): PaymentState | null {
  if (!json) return null;
  const { status, amountCents, refundReason, version } = JSON.parse(json) as PaymentState;
  return { status, amountCents, refundReason: refundReason ?? null, version };
}

/** A stored hash as the API shows it; undefined until the order's OrderPlaced is applied. */
export function parseOrderSummary(hash: Record<string, string>): OrderSummary | undefined {
  const { orderId, customerId, status, items, totalCents, shippingAddress, placedAt, updatedAt, version } = hash;
  if (!orderId || !customerId || !status || !items || !totalCents || !shippingAddress || !placedAt || !updatedAt || !version) return undefined;
  return {
    orderId,
    customerId,
    status: status as OrderStatus,
    items: JSON.parse(items) as OrderLine[],
    totalCents: Number(totalCents),
    shippingAddress: JSON.parse(shippingAddress) as ShippingAddress,
    cancelReason: hash.cancelReason ?? null,
    carrier: hash.carrier ?? null,
    trackingNumber: hash.trackingNumber ?? null,
    placedAt: Number(placedAt),
    updatedAt: Number(updatedAt),
    version: Number(version),
    payment: parsePayment(hash[PAYMENT_FIELD]),
  };
}

/** The order as the live generation (or `generation`) has it; undefined if unknown there. One round trip. */
export async function readOrderSummary(redis: RedisConnection, orderId: string, options: { generation?: number } = {}): Promise<OrderSummary | undefined> {
  return parseOrderSummary(await readHash(redis, ORDER_SUMMARY, orderKey(orderId), options.generation));
}

/** Every order of a generation (default: the live one), each once, in no particular order. */
export async function* scanOrderSummaries(redis: RedisConnection, options: { generation?: number; batchSize?: number } = {}): AsyncGenerator<OrderSummary> {
  const generation = await resolveGeneration(redis, ORDER_SUMMARY, options.generation);
  if (generation === undefined) return;
  const layout = RedisKeyLayout.of(redis, ORDER_SUMMARY);
  const ofOrder = (key: string) => layout.relativeKeyOf(key, generation)?.startsWith(orderKey('')) === true;
  for await (const found of scanKeys(redis, layout.scanPattern(generation, orderKey('')), options.batchSize)) {
    const keys = found.filter(ofOrder);
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const summary = parseOrderSummary(hash as Record<string, string>);
      if (summary) yield summary;
    }
  }
}
