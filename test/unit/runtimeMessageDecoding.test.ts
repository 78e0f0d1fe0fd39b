// How the runtime judges one message: headers present and agreeing with the body, events the
// projection does not read skipped undecoded, poison named by its error code, and transient
// registry trouble thrown for a retry rather than parked.
import t from 'tap';
import { RegistryUnavailable } from '../../lib/errors.ts';
import { decodeMessage } from '../../projectors/runtime/messageDecoding.ts';
import { EVENT_TYPES, type EventType } from '../../schemas/eventCatalog.ts';
import { EventCodec, type SchemaByIdLookup } from '../../schemas/eventCodec.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';

const schemaIds = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, 100 + i])) as Record<EventType, number>;
const noSuchSchema: SchemaByIdLookup = async () => null;
const codec = new EventCodec({ schemaIds, schemaById: noSuchSchema });
const handled = new Set<EventType>(['OrderPlaced', 'OrderShipped']);
const position = { topic: 'events.order', partition: 4, offset: '17' };
const placed = exampleEvents.OrderPlaced;
const goodHeaders = { eventId: placed.eventId, eventType: 'OrderPlaced', aggregateVersion: String(placed.aggregateVersion) };
const message = (overrides: { value?: Buffer | null; headers?: Record<string, string> } = {}) => ({
  key: Buffer.from(placed.aggregateId),
  value: overrides.value === undefined ? codec.encode('OrderPlaced', placed) : overrides.value,
  headers: overrides.headers ?? goodHeaders,
});

t.test('a well-formed message becomes a ProjectionEvent at its position', async (t) => {
  const decoded = await decodeMessage(codec, handled, position, message());
  t.match(decoded, { kind: 'event', key: 'order-1', eventId: placed.eventId, occurredAt: placed.occurredAt, event: { type: 'OrderPlaced', ...position, key: 'order-1', event: { orderId: 'order-1' } } });
});

t.test('header values given as Buffers (as kafkajs delivers them) are read as UTF-8', async (t) => {
  const headers = Object.fromEntries(Object.entries(goodHeaders).map(([k, v]) => [k, Buffer.from(v)]));
  t.match(await decodeMessage(codec, handled, position, { ...message(), headers }), { kind: 'event' });
});

t.test('event types the projection does not read are skipped without decoding', async (t) => {
  const headers = { ...goodHeaders, eventType: 'OrderCancelled' };
  t.same(await decodeMessage(codec, handled, position, message({ value: Buffer.from('garbage'), headers })), { kind: 'unhandled', key: 'order-1', eventType: 'OrderCancelled' });
});

t.test('poison is named by its error code', async (t) => {
  const unknownId = Buffer.from([0, 0, 0x0f, 0x42, 0x3f, 1, 2]);
  const cases: [string, ReturnType<typeof message>, RegExp][] = [
    ['missing headers', message({ headers: { eventType: 'OrderPlaced' } }), /OUTFLOW_ERR_EVENT_HEADERS.*missing header\(s\) eventId, aggregateVersion/],
    ['an event type outside the catalog', message({ headers: { ...goodHeaders, eventType: 'OrderTeleported' } }), /OUTFLOW_ERR_EVENT_HEADERS.*OrderTeleported/],
    ['not wire format', message({ value: Buffer.from('definitely not avro') }), /OUTFLOW_ERR_NOT_WIRE_FORMAT/],
    ['an unknown schema id', message({ value: unknownId }), /OUTFLOW_ERR_UNKNOWN_SCHEMA_ID: schema id 999999/],
    ['a header type contradicting the body', message({ headers: { ...goodHeaders, eventType: 'OrderShipped' } }), /header eventType OrderShipped but the body is OrderPlaced/],
    ['a header version contradicting the body', message({ headers: { ...goodHeaders, aggregateVersion: '7' } }), /header aggregateVersion 7 but the body has 1/],
    ['a header event id contradicting the body', message({ headers: { ...goodHeaders, eventId: 'other' } }), /header eventId other/],
    ['no value', message({ value: null }), /has no value/],
  ];
  for (const [what, input, reason] of cases) {
    const decoded = await decodeMessage(codec, handled, position, input);
    t.equal(decoded.kind, 'poison', what);
    t.match(decoded.kind === 'poison' ? decoded.reason : '', reason, what);
  }
});

t.test('an unreachable registry is thrown for a retry, not parked', async (t) => {
  const flaky = new EventCodec({ schemaIds, schemaById: async () => Promise.reject(new RegistryUnavailable('fetching a schema', 'connect ECONNREFUSED')) });
  const unknownId = Buffer.from([0, 0, 0, 0x03, 0xe7, 1]);
  await t.rejects(decodeMessage(flaky, handled, position, message({ value: unknownId })), { code: 'OUTFLOW_ERR_REGISTRY_UNAVAILABLE' });
});
