// customer-orders: each customer's orders, newest first, for `GET /customers/:id/orders`.
// A sorted set orders them (score = placedAt, member = orderId) and a hash holds each order's
// summary as JSON. Only OrderPlaced knows placedAt, so it alone adds to the sorted set; the
// other events merge what they know into the summary under the order's version.
import { ValidationFailed } from '../../lib/errors.ts';
import type { RedisConnection } from '../../lib/redisConnection.ts';
import { RedisKeyLayout, resolveGeneration, scanKeys } from '../../projectors/stores/redisKeys.ts';
import { readIndexPage } from '../../projectors/stores/redisLiveReads.ts';
import { defineRedisProjection, type RedisOp } from '../../projectors/stores/redisStore.ts';
import type { OrderStatus } from '../../schemas/orderState.ts';

export const CUSTOMER_ORDERS = 'customer-orders';

export interface CustomerOrderSummary {
  orderId: string;
  status: OrderStatus;
  totalCents: number;
  /** Number of order lines. */
  itemCount: number;
  /** When the order was placed (epoch ms). */
  placedAt: number;
  version: number;
}

export interface CustomerOrdersPage {
  orders: CustomerOrderSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

// The customer id is the keys' hash tag: read together by one script, they share a bucket (and
// a slot) on a Redis Cluster.
const ordersKey = (customerId: string) => `customer:{${customerId}}:orders`;
const summariesKey = (customerId: string) => `customer:{${customerId}}:summaries`;

function mergeSummary(customerId: string, orderId: string, version: number, patch: Record<string, string | number>): RedisOp {
  return { op: 'hmergeJsonIfNewer', key: summariesKey(customerId), field: orderId, version, patch: { orderId, ...patch } };
}

export const customerOrdersProjection = defineRedisProjection({
  name: CUSTOMER_ORDERS,
  // 2: the customer id became the keys' hash tag.
  version: 2,
  handlers: {
    OrderPlaced: ({ event: e }) => [
      { op: 'zadd', key: ordersKey(e.customerId), score: e.occurredAt, member: e.orderId },
      mergeSummary(e.customerId, e.orderId, e.aggregateVersion, {
        status: 'placed',
        totalCents: e.totalCents,
        itemCount: e.items.length,
        placedAt: e.occurredAt,
      }),
    ],
    OrderCancelled: ({ event: e }) => [mergeSummary(e.customerId, e.orderId, e.aggregateVersion, { status: 'cancelled' })],
    OrderShipped: ({ event: e }) => [mergeSummary(e.customerId, e.orderId, e.aggregateVersion, { status: 'shipped' })],
    // Nothing listed changes, but the version does: read-your-own-writes waits on it.
    ShippingAddressUpdated: ({ event: e }) => [mergeSummary(e.customerId, e.orderId, e.aggregateVersion, {})],
  },
});

/** Opaque to clients: the (placedAt, orderId) of the last order of a page, base64url. */
export function encodeCursor(placedAt: number, orderId: string): string {
  return Buffer.from(`${placedAt}:${orderId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { placedAt: number; orderId: string } {
  const invalid = () => new ValidationFailed([{ field: 'query.cursor', message: 'is not a cursor this API returned' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(-?\d{1,16}):(.+)$/s.exec(decoded);
  if (!match || encodeCursor(Number(match[1]), match[2] ?? '') !== cursor) throw invalid();
  const placedAt = Number(match[1]);
  if (!Number.isSafeInteger(placedAt)) throw invalid();
  return { placedAt, orderId: match[2] ?? '' };
}

/** Redis orders equal scores by member bytes; so must the cursor's tie-break. */
function memberBefore(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
}

function pairs(flat: string[]): { orderId: string; placedAt: number }[] {
  const out: { orderId: string; placedAt: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ orderId: flat[i] ?? '', placedAt: Number(flat[i + 1]) });
  return out;
}

function parseSummaries(orderIds: string[], values: (string | null)[]): CustomerOrderSummary[] {
  const out: CustomerOrderSummary[] = [];
  values.forEach((value, i) => {
    if (value === null) return;
    const s = JSON.parse(value) as Partial<CustomerOrderSummary>;
    out.push({
      orderId: orderIds[i] ?? '',
      status: s.status ?? 'placed',
      totalCents: s.totalCents ?? 0,
      itemCount: s.itemCount ?? 0,
      placedAt: s.placedAt ?? 0,
      version: s.version ?? 0,
    });
  });
  return out;
}

/**
 * One page of a customer's orders from the live generation (or `generation`), newest first
 * (placedAt desc, orderId desc), in one round trip: the index page and the summaries it lists.
 */
export async function readCustomerOrders(
  redis: RedisConnection,
  customerId: string,
  options: { cursor?: string; limit: number; generation?: number },
): Promise<CustomerOrdersPage> {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationFailed([{ field: 'query.limit', message: 'must be a positive integer' }]);
  const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  // One entry more than the page: whether it exists says whether there is a next page.
  const read = await readIndexPage(redis, CUSTOMER_ORDERS, {
    indexKey: ordersKey(customerId),
    valuesKey: summariesKey(customerId),
    count: limit + 1,
    ...(cursor ? { cursorScore: cursor.placedAt } : {}),
    ...(options.generation === undefined ? {} : { generation: options.generation }),
  });
  if (!read) return { orders: [], nextCursor: null };
  // Orders of the cursor's millisecond that sort after it, then the older ones.
  const sameMsAfter = cursor ? read.atScore.filter((entry) => memberBefore(entry.member, cursor.orderId)) : [];
  const entries = [...sameMsAfter, ...read.below].slice(0, limit + 1);
  const page = entries.slice(0, limit);
  if (page.length === 0) return { orders: [], nextCursor: null };
  const orderIds = page.map((entry) => entry.member);
  const orders = parseSummaries(orderIds, orderIds.map((orderId) => read.values.get(orderId) ?? null));
  const last = page[page.length - 1];
  return { orders, nextCursor: entries.length > limit && last ? encodeCursor(last.score, last.member) : null };
}

async function inOnePipeline(redis: RedisConnection, commands: (string | number)[][]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const replies = await redis.pipeline(commands).exec();
  return (replies ?? []).map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Every customer of a generation (default: the live one) with all their orders, newest first. */
export async function* scanCustomerOrders(
  redis: RedisConnection,
  options: { generation?: number } = {},
): AsyncGenerator<{ customerId: string; orders: CustomerOrderSummary[] }> {
  const generation = await resolveGeneration(redis, CUSTOMER_ORDERS, options.generation);
  if (generation === undefined) return;
  const layout = RedisKeyLayout.of(redis, CUSTOMER_ORDERS);
  const head = ordersKey('').slice(0, -'}:orders'.length);
  const customerOf = (key: string): string | undefined => {
    const relative = layout.relativeKeyOf(key, generation);
    return relative?.startsWith(head) && relative.endsWith('}:orders') ? relative.slice(head.length, -'}:orders'.length) : undefined;
  };
  for await (const found of scanKeys(redis, layout.scanPattern(generation, head))) {
    const keys = found.filter((key) => customerOf(key) !== undefined);
    const customerIds = keys.map((key) => customerOf(key) as string);
    const ranges = await inOnePipeline(redis, keys.map((key) => ['zrevrange', key, 0, -1, 'WITHSCORES']));
    const lists = customerIds
      .map((customerId, i) => ({ customerId, orderIds: pairs(ranges[i] as string[]).map((entry) => entry.orderId) }))
      .filter((list) => list.orderIds.length > 0);
    const summaries = await inOnePipeline(redis, lists.map((list) => ['hmget', layout.dataKey(generation, summariesKey(list.customerId)), ...list.orderIds]));
    for (const [i, { customerId, orderIds }] of lists.entries()) {
      yield { customerId, orders: parseSummaries(orderIds, summaries[i] as (string | null)[]) };
    }
  }
}
