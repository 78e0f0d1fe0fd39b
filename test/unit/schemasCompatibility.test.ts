import t from 'tap';
import { eventSchemas, parseAvroType, type AvroFieldJson } from '../../schemas/avroSchemas.ts';
import { schemaEvolutionProblems } from '../../schemas/compatibility.ts';

// BACKWARD: the reader is the new (local) schema, the writer an already registered one.
const shipped = eventSchemas().OrderShipped.json;
const placed = eventSchemas().OrderPlaced.json;
const withFields = (schema: typeof shipped, change: (fields: AvroFieldJson[]) => AvroFieldJson[]) =>
  parseAvroType({ ...schema, fields: change(structuredClone(schema.fields ?? [])) });
const original = (schema: typeof shipped) => parseAvroType(schema);

t.test('an unchanged schema and an added optional field have no problems', async (t) => {
  t.same(schemaEvolutionProblems(original(shipped), original(shipped)), []);
  const withOptional = withFields(shipped, (f) => [...f, { name: 'estimatedDelivery', type: ['null', 'long'], default: null }]);
  t.same(schemaEvolutionProblems(withOptional, original(shipped)), []);
});

t.test('an added field without a default is named', async (t) => {
  const added = withFields(shipped, (f) => [...f, { name: 'warehouse', type: 'string' }]);
  const problems = schemaEvolutionProblems(added, original(shipped));
  t.equal(problems.length, 1);
  t.match(problems[0], /^new field `warehouse` has no default/);
});

t.test('a removed field without a default is named, even though Avro would accept it', async (t) => {
  const removed = withFields(shipped, (f) => f.filter((field) => field.name !== 'customerId'));
  t.doesNotThrow(() => removed.createResolver(original(shipped)), 'plain Avro resolution accepts the removal');
  const problems = schemaEvolutionProblems(removed, original(shipped));
  t.equal(problems.length, 1);
  t.match(problems[0], /^field `customerId` was removed, but it has no default/);
});

t.test('a removed field that had a default is fine', async (t) => {
  const removed = withFields(shipped, (f) => f.filter((field) => field.name !== 'carrier'));
  t.same(schemaEvolutionProblems(removed, original(shipped)), []);
});

t.test('type changes are named with the old and the new type; promotions are allowed', async (t) => {
  const toString = withFields(shipped, (f) => f.map((field) => (field.name === 'aggregateVersion' ? { ...field, type: 'string' } : field)));
  t.same(schemaEvolutionProblems(toString, original(shipped)), [
    'field `aggregateVersion` changed type from long to string, which cannot read the old values',
  ]);
  const narrowedUnion = withFields(shipped, (f) => f.map((field) => (field.name === 'carrier' ? { ...field, type: ['null', 'int'] } : field)));
  t.match(schemaEvolutionProblems(narrowedUnion, original(shipped)), [/^field `carrier` no longer accepts string/]);
  const intToLong = withFields(placed, (f) =>
    f.map((field) => (field.name === 'items' ? JSON.parse(JSON.stringify(field).replace('"type":"int"', '"type":"long"')) : field)),
  );
  t.same(schemaEvolutionProblems(intToLong, original(placed)), [], 'int widens to long');
});

t.test('fields inside nested records and arrays are named by their path', async (t) => {
  const nested = withFields(placed, (fields) =>
    fields.map((field) => {
      if (field.name === 'shippingAddress') {
        const record = field.type as { fields: AvroFieldJson[] };
        record.fields = [...record.fields.filter((f) => f.name !== 'city'), { name: 'region', type: 'string' }];
      }
      if (field.name === 'items') {
        const record = (field.type as { items: { fields: AvroFieldJson[] } }).items;
        record.fields = record.fields.map((f) => (f.name === 'quantity' ? { ...f, type: 'string' } : f));
      }
      return field;
    }),
  );
  t.same(schemaEvolutionProblems(nested, original(placed)).sort(), [
    'field `items[].quantity` changed type from int to string, which cannot read the old values',
    'field `shippingAddress.city` was removed, but it has no default: readers that still expect it could not read new events',
    'new field `shippingAddress.region` has no default, so events written before it cannot be read; make it optional (["null", ...] with default null) or give it a default',
  ]);
});

t.test('a renamed field with an alias to the old name is neither removed nor added', async (t) => {
  const renamed = withFields(shipped, (f) =>
    f.map((field) => (field.name === 'customerId' ? { ...field, name: 'buyerId', aliases: ['customerId'] } : field)),
  );
  t.same(schemaEvolutionProblems(renamed, original(shipped)), []);
});
