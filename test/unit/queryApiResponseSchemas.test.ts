// The query API's response schemas are also its serializers, which drop any field they do not
// name: the order's items and address must name every field of their Avro records, in order,
// so a field added to an event fails here instead of vanishing from GET /orders/:id.
import t from 'tap';
import { orderLineSchema, shippingAddressSchema } from '../../query-api/http/responseSchemas.ts';
import type { AvroFieldJson, AvroSchemaJson, AvroSchemaObject } from '../../schemas/avroSchemas.ts';
import { eventSchemas } from '../../schemas/avroSchemas.ts';

/** The JSON schema type of an Avro field's values as readers return them. */
function jsonType(avro: AvroSchemaJson): string | string[] {
  if (Array.isArray(avro)) {
    const [value, ...others] = avro.filter((branch) => branch !== 'null');
    if (!value || others.length) throw new Error(`only T | null unions are mapped: ${JSON.stringify(avro)}`);
    return [jsonType(value) as string, 'null'];
  }
  const name = typeof avro === 'string' ? avro : avro.type;
  const types: Record<string, string> = { string: 'string', int: 'integer', long: 'integer', boolean: 'boolean', double: 'number', float: 'number' };
  if (typeof name !== 'string' || !types[name]) throw new Error(`unmapped Avro type ${JSON.stringify(avro)}`);
  return types[name];
}

function recordField(fields: readonly AvroFieldJson[] | undefined, name: string): AvroSchemaObject {
  const type = fields?.find((f) => f.name === name)?.type;
  if (!type || typeof type !== 'object' || Array.isArray(type)) throw new Error(`no record field ${name}`);
  return type;
}

function fieldsOf(record: AvroSchemaObject): [string, string | string[]][] {
  return (record.fields ?? []).map((f) => [f.name, jsonType(f.type)]);
}

function propertiesOf(schema: { properties: Record<string, { type: string | readonly string[] }> }): [string, string | string[]][] {
  return Object.entries(schema.properties).map(([name, property]) => [name, typeof property.type === 'string' ? property.type : [...property.type]]);
}

t.test("an order's items are OrderPlaced's OrderLine records, every field, in order", async (t) => {
  const items = recordField(eventSchemas().OrderPlaced.json.fields, 'items').items as AvroSchemaObject;
  t.same(propertiesOf(orderLineSchema), fieldsOf(items));
});

t.test("an order's address is the ShippingAddress record of the events that carry one, every field, in order", async (t) => {
  for (const eventType of ['OrderPlaced', 'ShippingAddressUpdated'] as const) {
    t.same(propertiesOf(shippingAddressSchema), fieldsOf(recordField(eventSchemas()[eventType].json.fields, 'shippingAddress')), eventType);
  }
});
