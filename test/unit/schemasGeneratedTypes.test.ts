import fs from 'node:fs';
import t from 'tap';
import { GENERATED_TYPES_FILE, generateEventTypes, generateTypes } from '../../schemas/generateTypes.ts';

t.test('the checked-in generated types match the .avsc files', async (t) => {
  const checkedIn = fs.readFileSync(GENERATED_TYPES_FILE, 'utf8');
  t.equal(checkedIn, generateEventTypes(), 'run `node --import tsx schemas/generateTypes.ts` and commit the result');
});

t.test('the generator maps Avro types to TypeScript', async (t) => {
  const source = generateTypes([
    {
      name: 'SampleHappened',
      schema: {
        type: 'record',
        name: 'SampleHappened',
        namespace: 'outflow.test',
        doc: 'A sample.',
        fields: [
          { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
          { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When.' },
          { name: 'amountCents', type: 'long' },
          { name: 'count', type: 'int' },
          { name: 'ratio', type: 'double' },
          { name: 'flag', type: 'boolean' },
          { name: 'blob', type: 'bytes' },
          { name: 'note', type: ['null', 'string'], default: null },
          { name: 'either', type: ['null', 'string', 'long'], default: null },
          { name: 'tags', type: { type: 'array', items: 'string' } },
          { name: 'maybeTags', type: { type: 'array', items: ['null', 'string'] } },
          { name: 'attributes', type: { type: 'map', values: 'long' } },
          { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
          {
            name: 'lines',
            type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }] } },
          },
          { name: 'firstLine', type: ['null', 'outflow.test.Line'], default: null },
        ],
      },
    },
  ]);
  for (const line of [
    'export interface SampleHappened {',
    '  id: string;',
    '  /** When. (timestamp-millis: epoch milliseconds) */\n  at: number;',
    '  amountCents: number;',
    '  count: number;',
    '  ratio: number;',
    '  flag: boolean;',
    '  blob: Buffer;',
    '  note: string | null;',
    '  either: string | number | null;',
    '  tags: string[];',
    '  maybeTags: (string | null)[];',
    '  attributes: Record<string, number>;',
    "export type Color = 'RED' | 'GREEN';",
    '  color: Color;',
    'export interface Line {\n  sku: string;\n}',
    '  lines: Line[];',
    '  firstLine: Line | null;',
    'export type OutflowEvent =\n  | SampleHappened;',
    'export interface EventPayloads {\n  SampleHappened: SampleHappened;\n}',
  ]) {
    t.ok(source.includes(line), `has ${JSON.stringify(line)}`);
  }
});

t.test('a nested record declared twice with different fields is refused', async (t) => {
  const address = (fields: { name: string; type: string }[]) => ({ type: 'record', name: 'Address', fields });
  t.throws(
    () =>
      generateTypes([
        { name: 'A', schema: { type: 'record', name: 'A', fields: [{ name: 'to', type: address([{ name: 'city', type: 'string' }]) }] } },
        { name: 'B', schema: { type: 'record', name: 'B', fields: [{ name: 'to', type: address([{ name: 'zip', type: 'string' }]) }] } },
      ]),
    /Address is declared twice/,
  );
});
