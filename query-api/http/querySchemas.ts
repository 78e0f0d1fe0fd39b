// The parts every read model's query schemas are built from: validation at the edge (each bad
// field is named in the 400 response) and the source of the OpenAPI document. Query strings and
// headers arrive as text; the API's ajv coerces them to the declared types. Each read model's
// own parameters are declared beside its routes (read-models/<name>/routes.ts).
import { errorResponses } from '../../lib/errorResponseSchema.ts';

// No control characters and no lone surrogates (ajv compiles patterns with the u flag, where a
// lone surrogate is a code point of category Cs and a paired one is not).
export const textParameter = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\p{Cc}\\p{Cs}]*$' }) as const;

/** The largest page any read model serves. */
export const MAX_PAGE_SIZE = 100;

const minVersion = {
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Read your own writes: wait until the read model has reached this version (a command response\'s `version`).',
} as const;

export const minVersionHeaders = {
  type: 'object',
  properties: { 'x-min-version': minVersion },
} as const;

export const minVersionQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { minVersion },
} as const;

/** A price or amount parameter. */
export const centsParameter = { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'Minor currency units (cents).' } as const;

/** Schema parts every authenticated read shares; `ok` is the 200 answer's, declared beside the route. */
export function readSchema<Parts extends object, Ok extends object>(summary: string, parts: Parts, ok: Ok) {
  return { summary, security: [{ apiKey: [] }], ...parts, response: { 200: ok, ...errorResponses } } as const;
}
