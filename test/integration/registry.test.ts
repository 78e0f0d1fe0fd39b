import t from 'tap';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { AvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types.js';
import avro from 'avsc';
import { config } from '../../lib/config.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

const stack = await ensureStack('postgres', 'registry');
const url = config().registry.url;

const schema = {
  type: 'record',
  name: 'RegistryRoundTrip',
  namespace: 'outflow.test',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'amountCents', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const event = { orderId: 'order-42', amountCents: 1999, note: 'gift wrap' };

/** The schema id a Confluent-framed message carries: magic byte 0, then 4 bytes big endian. */
function embeddedId(bytes: Buffer): number {
  if (bytes[0] !== 0) throw new Error(`not Confluent wire format: magic byte ${bytes[0]}`);
  return bytes.readInt32BE(1);
}

async function deleteSubject(subject: string) {
  // Soft delete first: the Confluent API only deletes permanently what is soft-deleted.
  for (const query of ['', '?permanent=true']) {
    await fetch(`${url}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
  }
}

t.test('an Avro schema registers, round-trips, and keeps its id across a registry restart', async (t) => {
  const subject = uniqueName('test.registry');
  const twin = uniqueName('test.registry-twin');
  t.teardown(async () => {
    await deleteSubject(subject);
    await deleteSubject(twin);
  });

  const first = new SchemaRegistry({ host: url });
  const { id } = await first.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
  t.ok(Number.isInteger(id) && id > 0, `registered with id ${id}`);

  const bytes = await first.encode(id, event);
  t.equal(embeddedId(bytes), id, 'the encoded bytes carry the registered id');
  t.same(await first.decode(bytes), event, 'decodes back to the same object');

  // Confluent semantics: ids identify the schema text, not the subject it went in under.
  const again = await first.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: twin });
  t.equal(again.id, id, 'the same schema under a second subject gets the same id');
  const original = (await first.getSchema(id)) as AvroSchema;

  t.same(await stack.down({ names: ['registry'] }), ['registry'], 'the registry process is stopped');
  t.equal((await stack.status(['registry']))[0]?.health, 'stopped', 'and reported stopped');
  await stack.up(['registry']);

  // A new client has no cache: everything below comes from the restarted registry.
  const fresh = new SchemaRegistry({ host: url });
  t.same(await fresh.decode(bytes), event, 'the same bytes decode to the same object after the restart');
  const fetched = (await fresh.getSchema(id)) as AvroSchema;
  t.ok(fetched.equals(avro.Type.forSchema(schema as avro.Schema)), 'getSchema(id) returns the registered schema after the restart');
  t.equal(String(fetched), String(original), 'in the same canonical form as before the restart');
  const reregistered = await fresh.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
  t.equal(reregistered.id, id, 'registering the same schema again finds the same id');
});
