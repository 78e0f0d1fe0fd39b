import net from 'node:net';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { OutflowError, RegistryUnavailable } from '../../lib/errors.ts';
import { eventSchemas, parseAvroType } from '../../schemas/avroSchemas.ts';
import { EVENT_TYPES, type EventType } from '../../schemas/eventCatalog.ts';
import { EventCodec, type SchemaByIdLookup } from '../../schemas/eventCodec.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { RegistryClient } from '../../schemas/registryClient.ts';

// Ids chosen so every header byte differs: 0x01020304 + index.
const schemaIds = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, 0x01020304 + i])) as Record<EventType, number>;
const noRegistry: SchemaByIdLookup = async (id) => {
  throw new Error(`unexpected registry lookup of ${id}`);
};

function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

async function rejection(promise: Promise<unknown>): Promise<OutflowError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutflowError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

t.test('encode writes magic byte 0, the big-endian schema id, then the Avro body', async (t) => {
  const codec = new EventCodec({ schemaIds, schemaById: noRegistry });
  const bytes = codec.encode('OrderPlaced', exampleEvents.OrderPlaced);
  t.equal(bytes[0], 0, 'magic byte');
  t.same([...bytes.subarray(1, 5)], [0x01, 0x02, 0x03, 0x04 + EVENT_TYPES.indexOf('OrderPlaced')], 'schema id, big endian');
  t.same(bytes.subarray(5), eventSchemas().OrderPlaced.type.toBuffer(exampleEvents.OrderPlaced), 'plain Avro binary after the header');
  t.equal(codec.schemaIdOf('OrderPlaced'), schemaIds.OrderPlaced);
});

t.test('every event type round-trips without the registry when written with the local schema', async (t) => {
  const codec = new EventCodec({ schemaIds, schemaById: noRegistry });
  for (const type of EVENT_TYPES) {
    const decoded = await codec.decode(codec.encode(type, exampleEvents[type]));
    t.equal(decoded.eventType, type);
    t.equal(decoded.schemaId, schemaIds[type]);
    t.same(decoded.event, exampleEvents[type], `${type} decodes to what was encoded`);
  }
});

t.test('a large event grows the scratch buffer and still encodes whole', async (t) => {
  const codec = new EventCodec({ schemaIds, schemaById: noRegistry });
  const description = 'x'.repeat(100_000);
  const decoded = await codec.decode(codec.encode('ProductCreated', { ...exampleEvents.ProductCreated, description }));
  t.equal(decoded.eventType === 'ProductCreated' && decoded.event.description, description);
});

t.test('an invalid event is refused with every bad field path', async (t) => {
  const codec = new EventCodec({ schemaIds, schemaById: noRegistry });
  const bad = {
    ...exampleEvents.OrderPlaced,
    totalCents: 12.5,
    items: [{ ...exampleEvents.OrderPlaced.items[0], quantity: 'two' }],
    shippingAddress: { ...exampleEvents.OrderPlaced.shippingAddress, country: undefined },
  };
  const error = t.throws(() => codec.encode('OrderPlaced', bad as never)) as OutflowError & { fields: string[] };
  t.equal(error.code, 'OUTFLOW_ERR_EVENT_INVALID');
  t.same(error.fields.sort(), ['items[0].quantity', 'shippingAddress.country', 'totalCents']);
  t.match(error.message, /OrderPlaced does not match its schema at: .*items\[0\]\.quantity/);
});

t.test('malformed messages are poison, each with its own code', async (t) => {
  const codec = new EventCodec({ schemaIds, schemaById: async () => null });
  const good = codec.encode('OrderShipped', exampleEvents.OrderShipped);

  const short = await rejection(codec.decode(Buffer.from([0, 0, 1])));
  t.match(short, { code: 'OUTFLOW_ERR_NOT_WIRE_FORMAT', retriable: false });
  const magic = await rejection(codec.decode(Buffer.concat([Buffer.from([1]), good.subarray(1)])));
  t.match(magic, { code: 'OUTFLOW_ERR_NOT_WIRE_FORMAT', retriable: false, message: /magic byte is 1/ });
  const unknown = await rejection(codec.decode(frame(424242, good.subarray(5))));
  t.match(unknown, { code: 'OUTFLOW_ERR_UNKNOWN_SCHEMA_ID', retriable: false, message: /424242/ });
  const truncated = await rejection(codec.decode(good.subarray(0, good.length - 3)));
  t.match(truncated, { code: 'OUTFLOW_ERR_EVENT_UNDECODABLE', retriable: false, message: /OrderShipped/ });
  const trailing = await rejection(codec.decode(Buffer.concat([good, Buffer.from([7])])));
  t.match(trailing, { code: 'OUTFLOW_ERR_EVENT_UNDECODABLE', retriable: false });
});

t.test('a writer schema outside the catalog is poison', async (t) => {
  const foreign = { type: 'record', name: 'Stranger', namespace: 'other.events', fields: [{ name: 'x', type: 'string' }] };
  const codec = new EventCodec({ schemaIds, schemaById: async () => JSON.stringify(foreign) });
  const error = await rejection(codec.decode(frame(7, parseAvroType(foreign).toBuffer({ x: 'hi' }))));
  t.match(error, { code: 'OUTFLOW_ERR_UNKNOWN_EVENT_SCHEMA', retriable: false, message: /other\.events\.Stranger/ });
});

t.test('an older writer schema is resolved into the local one (defaults fill new fields)', async (t) => {
  const current = eventSchemas().OrderShipped.json;
  const older = { ...current, fields: (current.fields ?? []).filter((f) => f.name !== 'trackingNumber') };
  const lookups: number[] = [];
  const codec = new EventCodec({
    schemaIds,
    schemaById: async (id) => {
      lookups.push(id);
      return JSON.stringify(older);
    },
  });
  const { trackingNumber: _dropped, ...olderEvent } = { ...exampleEvents.OrderShipped, trackingNumber: 'T-1' };
  const bytes = frame(99, parseAvroType(older).toBuffer(olderEvent));
  const decoded = await codec.decode(bytes);
  t.same(decoded, { eventType: 'OrderShipped', schemaId: 99, event: { ...olderEvent, trackingNumber: null } });
  await codec.decode(bytes);
  t.same(lookups, [99], 'the writer schema is fetched once per id');
});

t.test('an unreachable registry is retriable, and the next attempt asks again', async (t) => {
  let calls = 0;
  const current = JSON.stringify(eventSchemas().OrderShipped.json);
  const codec = new EventCodec({
    schemaIds,
    schemaById: async () => {
      calls += 1;
      if (calls === 1) throw new RegistryUnavailable('fetching schema id 55', 'connection refused');
      return current;
    },
  });
  const bytes = frame(55, eventSchemas().OrderShipped.type.toBuffer(exampleEvents.OrderShipped));
  t.match(await rejection(codec.decode(bytes)), { code: 'OUTFLOW_ERR_REGISTRY_UNAVAILABLE', retriable: true });
  t.match(await codec.decode(bytes), { eventType: 'OrderShipped', schemaId: 55 });
});

t.test('the registry client reports a refused connection as RegistryUnavailable (retriable)', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const error = await rejection(new RegistryClient(`http://127.0.0.1:${port}/apis/ccompat/v7`).schemaById(1));
  t.match(error, { code: 'OUTFLOW_ERR_REGISTRY_UNAVAILABLE', retriable: true, message: /fetching schema id 1/ });
});

t.test('connect refuses when a local schema is not registered, and says what to run', async (t) => {
  class RegistryWithoutSchemas extends RegistryClient {
    override async lookup() {
      return null;
    }
  }
  const error = await rejection(EventCodec.connect(config(), { registry: new RegistryWithoutSchemas('http://127.0.0.1:1') }));
  t.match(error, { code: 'OUTFLOW_ERR_SCHEMA_NOT_REGISTERED', message: /outflow\.events\.ProductCreated.*run `outflow schemas register`/ });
});
