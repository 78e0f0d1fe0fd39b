// How the runtime judges one message: headers present and agreeing with the body, events the
// projection does not read skipped undecoded, poison named by its error code, and transient
// registry trouble thrown for a retry rather than parked.
import type { IHeaders } from 'kafkajs';
import t from 'tap';
import { dlqHeaders } from '../../projectors/runtime/deadLetterQueue.ts';
import { RegistryUnavailable } from '../../lib/errors.ts';
import { decodeMessage, decodeMessageNow, headerText, messageKey } from '../../projectors/runtime/messageDecoding.ts';
import { EVENT_TYPES, type EventType } from '../../schemas/eventCatalog.ts';
import { eventSchemas } from '../../schemas/avroSchemas.ts';
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

t.test('a message without headers, or with an empty one, is poison naming each header it lacks', async (t) => {
  const { headers: _, ...headerless } = message();
  t.same(await decodeMessage(codec, handled, position, headerless), {
    kind: 'poison',
    key: 'order-1',
    reason: 'OUTFLOW_ERR_EVENT_HEADERS: event headers invalid: missing header(s) eventId, eventType, aggregateVersion',
  });
  const { eventType: _type, ...withoutType } = goodHeaders;
  for (const [headers, missing] of [
    [{ ...goodHeaders, aggregateVersion: '' }, 'aggregateVersion'],
    [{ ...goodHeaders, eventId: '' }, 'eventId'],
    [withoutType, 'eventType'],
  ] as const) {
    const decoded = await decodeMessage(codec, handled, position, message({ headers }));
    t.equal(decoded.kind === 'poison' ? decoded.reason : '', `OUTFLOW_ERR_EVENT_HEADERS: event headers invalid: missing header(s) ${missing}`);
  }
});

t.test('a message without a key is judged with the empty key', async (t) => {
  t.equal(messageKey({ key: null, value: null }), '');
  t.match(await decodeMessage(codec, handled, position, { ...message(), key: null }), { kind: 'event', key: '', event: { key: '' } });
});

t.test('a header: the first of repeated values, as text, or absent', async (t) => {
  t.equal(headerText({ eventType: [Buffer.from('OrderPlaced'), Buffer.from('OrderShipped')] }, 'eventType'), 'OrderPlaced');
  t.equal(headerText({ eventType: ['OrderShipped', 'OrderPlaced'] }, 'eventType'), 'OrderShipped');
  t.equal(headerText({ eventType: Buffer.from('Zürich', 'utf8') }, 'eventType'), 'Zürich');
  t.equal(headerText({}, 'eventType'), undefined);
  t.equal(headerText(undefined, 'eventType'), undefined);
  t.equal(headerText({ eventType: [] }, 'eventType'), undefined);
  // The outbox router sends a null column (traceparent) as a header without a value; kafkajs gives null.
  t.equal(headerText({ traceparent: null } as unknown as IHeaders, 'traceparent'), undefined, 'a header without a value is absent');
});

t.test('a parked message keeps its headers that have a value (kafkajs cannot produce one without)', async (t) => {
  const headers = dlqHeaders(
    {
      projection: 'order-summary', generation: 3, topic: 'events.order', partition: 4, offset: '17', reason: 'poison',
      message: { key: Buffer.from('k'), value: Buffer.from([0]), headers: { ...goodHeaders, traceparent: null } as unknown as IHeaders },
    },
    new Date(0),
  );
  t.notOk('traceparent' in headers, 'the valueless header is left out');
  t.match(headers, { ...goodHeaders, dlqReason: 'poison', dlqOriginalOffset: '17', dlqParkedAt: '1970-01-01T00:00:00.000Z' });
});

t.test('decodeMessageNow gives the same verdicts without waiting, and undefined only when the registry must be asked', async (t) => {
  const cases = [message(), message({ headers: { eventType: 'OrderPlaced' } }), message({ value: Buffer.from('definitely not avro') }), message({ headers: { ...goodHeaders, eventId: 'other' } })];
  for (const input of cases) t.same(decodeMessageNow(codec, handled, position, input), await decodeMessage(codec, handled, position, input));
  const fetched: number[] = [];
  const older = new EventCodec({
    schemaIds,
    schemaById: async (id) => {
      fetched.push(id);
      return JSON.stringify(eventSchemas().OrderPlaced.json);
    },
  });
  const written = Buffer.concat([Buffer.from([0, 0, 0, 0, 77]), eventSchemas().OrderPlaced.type.toBuffer(placed)]);
  t.equal(decodeMessageNow(older, handled, position, message({ value: written })), undefined, 'schema id 77 is not known yet');
  t.match(await decodeMessage(older, handled, position, message({ value: written })), { kind: 'event', event: { key: 'order-1' } });
  t.match(decodeMessageNow(older, handled, position, message({ value: written })), { kind: 'event' }, 'known once fetched');
  t.same(fetched, [77]);
});
