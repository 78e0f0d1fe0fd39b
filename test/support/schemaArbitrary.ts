// fast-check arbitraries of values that a route's own JSON schema accepts: the part of a
// property-based test that reaches past validation into the command and the read stores. It
// knows the keywords the APIs' schemas use; a schema with one it does not know fails loudly,
// so a new route cannot silently be tested with values that never pass its schema.
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  not?: JsonSchema;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

/** Values to prefer for a property of this name (ids that exist, so commands get past 404). */
export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>;

const KNOWN_KEYWORDS = new Set([
  'type', 'nullable', 'properties', 'required', 'additionalProperties', 'minProperties', 'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'pattern', 'format', 'enum', 'const', 'not', 'minimum', 'maximum', 'default', 'description',
]);

/** Kept short so thousands of requests stay cheap; the long ones come from the hostile values. */
const MAX_GENERATED_LENGTH = 40;
const MAX_GENERATED_ITEMS = 4;

const unicodeUnit = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', '茶', 'Ω', '😀', 'e\u0301', '\u200b', '\u05d0') },
);

function codePoints(value: string): number {
  return [...value].length;
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? MAX_GENERATED_LENGTH, MAX_GENERATED_LENGTH));
  const fits = (value: string) => codePoints(value) >= minLength && codePoints(value) <= (schema.maxLength ?? Infinity);
  if (schema.format === 'uuid') return fc.uuid({ version: 4 });
  if (schema.format === 'date') {
    return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  }
  if (schema.format) throw new Error(`schemaArbitrary: unknown format ${schema.format}`);
  // Unicode property classes need the u flag, which fast-check's regex generator does not read:
  // generate text and keep what the pattern, compiled as ajv compiles it, accepts.
  if (schema.pattern && !schema.pattern.includes('\\p{')) {
    return fc.stringMatching(new RegExp(schema.pattern), { maxLength }).filter(fits);
  }
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  return fc.string({ unit: unicodeUnit, minLength, maxLength }).filter((value) => fits(value) && (!pattern || pattern.test(value)));
}

function integerArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const min = BigInt(schema.minimum ?? Number.MIN_SAFE_INTEGER);
  const max = BigInt(schema.maximum ?? Number.MAX_SAFE_INTEGER);
  // Small values are the common case; the bounds are where off-by-ones live.
  return fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max), fc.bigInt({ min, max: min + 10n < max ? min + 10n : max })).map(Number);
}

function objectArbitrary(schema: JsonSchema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, hints[name] ? fc.oneof({ weight: 3, arbitrary: hints[name] }, { weight: 1, arbitrary: validValue(property, hints) }) : validValue(property, hints)]));
  const record = fc.record(model, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
  return schema.minProperties ? record.filter((value) => Object.keys(value).length >= schema.minProperties!) : record;
}

/** An arbitrary of values the schema accepts. */
export function validValue(schema: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  const unknown = Object.keys(schema).filter((keyword) => !KNOWN_KEYWORDS.has(keyword));
  if (unknown.length) throw new Error(`schemaArbitrary: unknown keyword(s) ${unknown.join(', ')} in ${JSON.stringify(schema)}`);
  let arbitrary: fc.Arbitrary<unknown>;
  if (schema.const !== undefined) arbitrary = fc.constant(schema.const);
  else if (schema.enum) arbitrary = fc.constantFrom(...schema.enum);
  else if (Array.isArray(schema.type)) arbitrary = fc.oneof(...schema.type.map((type) => validValue({ ...schema, type }, hints)));
  else {
    switch (schema.type) {
      case 'string': arbitrary = stringArbitrary(schema); break;
      case 'integer': arbitrary = integerArbitrary(schema); break;
      case 'boolean': arbitrary = fc.boolean(); break;
      case 'null': arbitrary = fc.constant(null); break;
      case 'object': arbitrary = objectArbitrary(schema, hints); break;
      case 'array':
        arbitrary = fc.array(schema.items ? validValue(schema.items, hints) : fc.anything(), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS)),
        });
        break;
      default: throw new Error(`schemaArbitrary: unknown type ${String(schema.type)}`);
    }
  }
  if (schema.nullable) arbitrary = fc.oneof(arbitrary, fc.constant(null));
  if (schema.not?.const !== undefined) {
    const refused = schema.not.const;
    arbitrary = arbitrary.filter((value) => value !== refused);
  }
  return arbitrary;
}
