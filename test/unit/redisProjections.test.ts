// The pure parts of the Redis read models: handlers → ops, ops → script arguments,
// key patterns and cursors. No Redis needed.
import t from 'tap';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import { customerOrdersProjection, decodeCursor, encodeCursor } from '../../read-models/customer-orders/projection.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { redisCheckpointsKey, redisGenerationPrefix, redisLivePointerKey, redisPrefixPattern } from '../../projectors/stores/redisKeys.ts';
import { MsgpackArrayWriter } from '../../projectors/stores/msgpackArrayWriter.ts';
import { checkOp, encodeBatch, type RedisOp } from '../../projectors/stores/redisOps.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';

/** The MessagePack array encodeBatch writes, read back: strings and unsigned integers only. */
function unpackArray(buffer: Buffer): (string | number)[] {
  const values: (string | number)[] = [];
  let at = 0;
  const byte = () => buffer[at++] ?? Number.NaN;
  const uint = (bytes: number) => {
    const value = buffer.readUIntBE(at, bytes);
    at += bytes;
    return value;
  };
  const text = (length: number) => {
    const value = buffer.toString('utf8', at, at + length);
    at += length;
    return value;
  };
  if (byte() !== 0xdd) throw new Error('not an array32');
  const count = uint(4);
  for (let i = 0; i < count; i++) {
    const type = byte();
    if (type < 0x80) values.push(type);
    else if (type >= 0xa0 && type <= 0xbf) values.push(text(type & 0x1f));
    else if (type === 0xd9) values.push(text(uint(1)));
    else if (type === 0xda) values.push(text(uint(2)));
    else if (type === 0xdb) values.push(text(uint(4)));
    else if (type === 0xcc) values.push(uint(1));
    else if (type === 0xcd) values.push(uint(2));
    else if (type === 0xce) values.push(uint(4));
    else throw new Error(`unexpected MessagePack type 0x${type.toString(16)} at ${at - 1}`);
  }
  if (at !== buffer.length) throw new Error(`${buffer.length - at} bytes after the array`);
  return values;
}

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
  t.same(orderSummaryProjection.eventTypes, ['OrderPlaced', 'OrderCancelled', 'OrderShipped', 'ShippingAddressUpdated', 'PaymentAuthorized', 'PaymentCaptured', 'PaymentRefunded']);
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

t.test("order-summary: a payment event merges the order's payment field under the payment's own version", async (t) => {
  const ops = (event: ProjectionEvent) => orderSummaryProjection.opsFor(event);
  t.same(ops(wrap('PaymentAuthorized', exampleEvents.PaymentAuthorized)), [
    { op: 'hmergeJsonIfNewer', key: 'order:order-1', field: 'payment', version: 1, patch: { status: 'authorized', amountCents: 4497, refundReason: null } },
  ]);
  t.same(ops(wrap('PaymentCaptured', exampleEvents.PaymentCaptured)), [
    { op: 'hmergeJsonIfNewer', key: 'order:order-1', field: 'payment', version: 2, patch: { status: 'captured', amountCents: 4497 } },
  ]);
  t.same(ops(wrap('PaymentRefunded', exampleEvents.PaymentRefunded)), [
    { op: 'hmergeJsonIfNewer', key: 'order:order-1', field: 'payment', version: 3, patch: { status: 'refunded', amountCents: 4497, refundReason: 'returned' } },
  ]);
});

t.test('customer-orders: OrderPlaced adds to the sorted set; every order event merges the summary', async (t) => {
  const ops = (event: ProjectionEvent) => customerOrdersProjection.opsFor(event);
  t.same(ops(wrap('OrderPlaced', exampleEvents.OrderPlaced)), [
    { op: 'zadd', key: 'customer:{customer-1}:orders', score: placedAt, member: 'order-1' },
    { op: 'hmergeJsonIfNewer', key: 'customer:{customer-1}:summaries', field: 'order-1', version: 1, patch: { orderId: 'order-1', status: 'placed', totalCents: 4497, itemCount: 2, placedAt } },
  ]);
  t.match(ops(wrap('OrderCancelled', exampleEvents.OrderCancelled)), [{ op: 'hmergeJsonIfNewer', version: 2, patch: { status: 'cancelled' } }]);
  t.match(ops(wrap('OrderShipped', exampleEvents.OrderShipped)), [{ version: 2, patch: { status: 'shipped' } }]);
  t.same(ops(wrap('ShippingAddressUpdated', exampleEvents.ShippingAddressUpdated)), [
    { op: 'hmergeJsonIfNewer', key: 'customer:{customer-1}:summaries', field: 'order-1', version: 2, patch: { orderId: 'order-1' } },
  ]);
});

t.test('encodeBatch: KEYS[1] is the checkpoints hash, KEYS[2] the source times, keys are absolute and declared once, empty events left out', async (t) => {
  const op = (key: string, version: number): RedisOp => ({ op: 'hsetIfNewer', key, version, fields: { a: 'x', b: null } });
  const encoded = encodeBatch({
    prefix: 'outflow:p:g1:',
    checkpointsKey: 'outflow:p:g1:checkpoints:events.order',
    sourceTimesKey: 'outflow:p:g1:source-times:events.order',
    partition: 4,
    lastOffset: '12',
    sourceTimeMs: 1_764_000_000_123,
    events: [
      { offset: '10', ops: [op('k1', 1), { op: 'zadd', key: 'z', score: 1.5, member: 'm' }] },
      { offset: '11', ops: [] },
      { offset: '12', ops: [op('k1', 2), { op: 'hmergeJsonIfNewer', key: 'j', field: 'f', version: 3, patch: { s: 'é"', n: 12, z: null, b: false } }] },
    ],
  });
  t.same(encoded.keys, ['outflow:p:g1:checkpoints:events.order', 'outflow:p:g1:source-times:events.order', 'outflow:p:g1:k1', 'outflow:p:g1:z', 'outflow:p:g1:j']);
  t.same(encoded.argv.slice(0, 2), ['4', '12']);
  t.equal(encoded.argv[3], '', 'no expected checkpoint: the script does not check');
  t.equal(encoded.argv[4], '1764000000123', 'the source time, exact');
  const base = { prefix: 'p:', checkpointsKey: 'p:c', sourceTimesKey: 'p:s', partition: 0, lastOffset: '5', events: [] };
  t.equal(encodeBatch(base).argv[4], '', 'no source time: the script records none');
  t.equal(encodeBatch({ ...base, expectedCheckpoint: null }).argv[3], 'none', 'the partition must have no checkpoint yet');
  t.equal(encodeBatch({ ...base, expectedCheckpoint: '4' }).argv[3], '4');
  t.same(unpackArray(encoded.argv[2]), [
    '10', 2, 'h', 3, '1', 1, 1, 'a', 'x', 'b', 'z', 4, '1.5', 'm',
    '12', 2, 'h', 3, '2', 1, 1, 'a', 'x', 'b', 'j', 5, 'f', '3', 4, 's', '"é\\""', 'n', '12', 'z', 'null', 'b', 'false',
  ]);
});

t.test('encodeBatch: long and multi-byte values, many keys, and a writer reused after a failed encode', async (t) => {
  const long = 'ü'.repeat(30_000);
  const events = Array.from({ length: 300 }, (_, i) => ({
    offset: String(1_000 + i),
    ops: [{ op: 'hsetIfNewer', key: `k${i}`, version: 70_000 + i, fields: { v: [long, `${'茶'.repeat(i % 40)}${i}`, 'x'.repeat(100 + i)][i % 3]!, none: null } } as RedisOp],
  }));
  const input = { prefix: 'p:', checkpointsKey: 'p:checkpoints:t', sourceTimesKey: 'p:source-times:t', partition: 0, lastOffset: '1299', events };
  const unprintable = { toString: () => { throw new Error('no text'); } } as unknown as string;
  t.throws(() => encodeBatch({ ...input, events: [{ offset: '1', ops: [{ op: 'hsetIfNewer', key: 'k', version: 1, fields: { a: 'written', n: unprintable } }] }] }), /no text/);
  const encoded = encodeBatch(input);
  t.equal(encoded.keys.length, 302);
  const values = unpackArray(encoded.argv[2]);
  t.equal(values.length, 300 * 10);
  for (const [i, event] of events.entries()) {
    const op = event.ops[0] as Extract<RedisOp, { op: 'hsetIfNewer' }>;
    t.same(values.slice(i * 10, i * 10 + 10), [event.offset, 1, 'h', i + 3, String(op.version), 1, 1, 'v', op.fields.v, 'none'], `event ${i}`);
  }
});
t.test('the MessagePack writer: every integer and string header size, and a growing buffer', async (t) => {
  const writer = new MsgpackArrayWriter(64);
  const uints = [0, 127, 128, 255, 256, 65_535, 65_536, 0xffffffff];
  const strings = ['', 'a'.repeat(10), 'a'.repeat(11), 'é'.repeat(85), 'é'.repeat(86), 'x'.repeat(21_845), 'x'.repeat(21_846), '🎉'.repeat(40_000)];
  for (const value of uints) writer.uint(value);
  for (const value of strings) writer.string(value);
  t.same(unpackArray(writer.finish()), [...uints, ...strings]);
  t.same(unpackArray(writer.finish()), [], 'finish starts a new array');
  for (const bad of [-1, 1.5, 2 ** 32]) t.throws(() => writer.uint(bad), RangeError);
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
