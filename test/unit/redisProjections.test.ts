// The pure parts of the Redis read models: handlers → ops, ops → script arguments,
// key patterns and cursors. No Redis needed.
import t from 'tap';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import { customerOrdersProjection, decodeCursor, encodeCursor } from '../../projectors/projections/customerOrders.ts';
import { orderSummaryProjection } from '../../projectors/projections/orderSummary.ts';
import { redisCheckpointsKey, redisGenerationPrefix, redisLivePointerKey, redisPrefixPattern } from '../../projectors/stores/redisKeys.ts';
import { checkOp, encodeBatch, type RedisOp } from '../../projectors/stores/redisOps.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';

function wrap<T extends ProjectionEvent['type']>(type: T, event: Extract<ProjectionEvent, { type: T }>['event'], offset = '7'): ProjectionEvent {
  return { type, event, topic: 'events.order', partition: 2, offset, key: event.aggregateId } as ProjectionEvent;
}

const placedAt = exampleEvents.OrderPlaced.occurredAt;

t.test('key layout: generation prefix, pointer, checkpoints, and SCAN patterns that match names literally', async (t) => {
  t.equal(redisGenerationPrefix('order-summary', 3), 'outflow:order-summary:g3:');
  t.equal(redisLivePointerKey('order-summary'), 'outflow:order-summary:live');
  t.equal(redisCheckpointsKey('order-summary', 3, 'events.order'), 'outflow:order-summary:g3:checkpoints:events.order');
  t.equal(redisPrefixPattern('outflow:a*b?[c]\\:g1:'), 'outflow:a\\*b\\?\\[c\\]\\\\:g1:*');
});

t.test('order-summary: each event writes what it knows under its version', async (t) => {
  const ops = (event: ProjectionEvent) => orderSummaryProjection.opsFor(event);
  t.same(orderSummaryProjection.eventTypes, ['OrderPlaced', 'OrderCancelled', 'OrderShipped', 'ShippingAddressUpdated']);
  t.match(ops(wrap('OrderPlaced', exampleEvents.OrderPlaced)), [{
    op: 'hsetIfNewer',
    key: 'order:order-1',
    version: 1,
    fields: { status: 'placed', totalCents: '4497', placedAt: String(placedAt), updatedAt: String(placedAt), items: JSON.stringify(exampleEvents.OrderPlaced.items), cancelReason: null },
  }]);
  t.same(ops(wrap('OrderCancelled', { ...exampleEvents.OrderCancelled, reason: null })), [{
    op: 'hsetIfNewer', key: 'order:order-1', version: 2,
    fields: { orderId: 'order-1', customerId: 'customer-1', status: 'cancelled', cancelReason: null, updatedAt: String(placedAt) },
  }]);
  t.match(ops(wrap('OrderShipped', exampleEvents.OrderShipped)), [{ fields: { status: 'shipped', carrier: 'DHL', trackingNumber: null } }]);
  t.match(ops(wrap('ShippingAddressUpdated', exampleEvents.ShippingAddressUpdated)), [{ fields: { shippingAddress: JSON.stringify(exampleEvents.ShippingAddressUpdated.shippingAddress) } }]);
  t.same(ops(wrap('ProductCreated', exampleEvents.ProductCreated)), []);
});

t.test('customer-orders: OrderPlaced adds to the sorted set; every order event merges the summary', async (t) => {
  const ops = (event: ProjectionEvent) => customerOrdersProjection.opsFor(event);
  t.same(ops(wrap('OrderPlaced', exampleEvents.OrderPlaced)), [
    { op: 'zadd', key: 'customer:customer-1:orders', score: placedAt, member: 'order-1' },
    { op: 'hmergeJsonIfNewer', key: 'customer:customer-1:summaries', field: 'order-1', version: 1, patch: { orderId: 'order-1', status: 'placed', totalCents: 4497, itemCount: 2, placedAt } },
  ]);
  t.match(ops(wrap('OrderCancelled', exampleEvents.OrderCancelled)), [{ op: 'hmergeJsonIfNewer', version: 2, patch: { status: 'cancelled' } }]);
  t.match(ops(wrap('OrderShipped', exampleEvents.OrderShipped)), [{ version: 2, patch: { status: 'shipped' } }]);
  t.same(ops(wrap('ShippingAddressUpdated', exampleEvents.ShippingAddressUpdated)), [
    { op: 'hmergeJsonIfNewer', key: 'customer:customer-1:summaries', field: 'order-1', version: 2, patch: { orderId: 'order-1' } },
  ]);
});

t.test('encodeBatch: KEYS[1] is the checkpoints hash, keys are absolute and declared once, empty events left out', async (t) => {
  const op = (key: string, version: number): RedisOp => ({ op: 'hsetIfNewer', key, version, fields: { a: 'x', b: null } });
  const encoded = encodeBatch({
    prefix: 'outflow:p:g1:',
    checkpointsKey: 'outflow:p:g1:checkpoints:events.order',
    partition: 4,
    lastOffset: '12',
    events: [
      { offset: '10', ops: [op('k1', 1), { op: 'zadd', key: 'z', score: 1.5, member: 'm' }] },
      { offset: '11', ops: [] },
      { offset: '12', ops: [op('k1', 2), { op: 'hmergeJsonIfNewer', key: 'j', field: 'f', version: 3, patch: { s: 'é"', n: 12, z: null, b: false } }] },
    ],
  });
  t.same(encoded.keys, ['outflow:p:g1:checkpoints:events.order', 'outflow:p:g1:k1', 'outflow:p:g1:z', 'outflow:p:g1:j']);
  t.same(encoded.argv, [
    '4', '12',
    '10', '2', 'h', '2', '1', '1', '1', 'a', 'x', 'b', 'z', '3', '1.5', 'm',
    '12', '2', 'h', '2', '2', '1', '1', 'a', 'x', 'b', 'j', '4', 'f', '3', '4', 's', '"é\\""', 'n', '12', 'z', 'null', 'b', 'false',
  ]);
});

t.test('checkOp refuses what the script cannot apply', async (t) => {
  const bad: RedisOp[] = [
    { op: 'hsetIfNewer', key: '', version: 1, fields: {} },
    { op: 'hsetIfNewer', key: 'k', version: 0, fields: {} },
    { op: 'hsetIfNewer', key: 'k', version: 1.5, fields: {} },
    { op: 'hsetIfNewer', key: 'k', version: 1, fields: { version: '3' } },
    { op: 'hmergeJsonIfNewer', key: 'k', field: 'f', version: 1, patch: { version: 3 } },
    { op: 'hmergeJsonIfNewer', key: 'k', field: 'f', version: 1, patch: { n: Number.NaN } },
    { op: 'zadd', key: 'k', score: Number.POSITIVE_INFINITY, member: 'm' },
  ];
  for (const op of bad) t.throws(() => checkOp(op), JSON.stringify(op));
  t.doesNotThrow(() => checkOp({ op: 'zadd', key: 'k', score: -3, member: '' }));
});

t.test('cursors round-trip (placedAt, orderId) and refuse anything else with a 400 on query.cursor', async (t) => {
  for (const [at, id] of [[placedAt, 'order-1'], [0, 'a:b:c'], [placedAt, 'ünïcode']] as const) {
    const cursor = encodeCursor(at, id);
    t.match(cursor, /^[A-Za-z0-9_-]+$/);
    t.same(decodeCursor(cursor), { placedAt: at, orderId: id });
  }
  for (const cursor of ['', 'a+b/', 'bm9jb2xvbg', Buffer.from('1.5:x').toString('base64url'), Buffer.from('12:').toString('base64url'), `${encodeCursor(1, 'x')}=`]) {
    t.throws(() => decodeCursor(cursor), { code: 'OUTFLOW_ERR_VALIDATION', httpStatus: 400, fields: [{ field: 'query.cursor' }] }, JSON.stringify(cursor));
  }
});
