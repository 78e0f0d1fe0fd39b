// JSON schemas of the command API's requests: validation at the edge (each bad field
// is named in the 400 response) and the source of the OpenAPI document.
import { ifMatchHeader } from '../../lib/commandRequest.ts';
import { MAX_ADJUSTMENT_UNITS, MAX_LINE_QUANTITY, MAX_PRICE_CENTS } from '../domain/limits.ts';

// No control characters (Postgres cannot store NUL) and no lone surrogates (well-formed UTF-8
// only: jsonb refuses the escape of one). ajv compiles patterns with the u flag, so a lone
// surrogate is a code point of category Cs there, while a paired one is not.
const SINGLE_LINE = '^[^\\p{Cc}\\p{Cs}]*$';
// Descriptions may span lines: tab, line feed and carriage return are the only controls allowed.
const MULTI_LINE = '^(?:[\\t\\n\\r]|[^\\p{Cc}\\p{Cs}])*$';

const text = (maxLength: number, minLength = 1) => ({ type: 'string', minLength, maxLength, pattern: SINGLE_LINE }) as const;

export const skuParam = {
  type: 'object',
  required: ['sku'],
  properties: { sku: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } },
} as const;

export const orderIdParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

const priceCents = { type: 'integer', minimum: 1, maximum: MAX_PRICE_CENTS, description: 'Price in minor currency units (cents).' } as const;

export const createProductBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'name', 'description', 'category', 'brand', 'priceCents'],
  properties: {
    sku: skuParam.properties.sku,
    name: text(200),
    description: { ...text(5000, 0), pattern: MULTI_LINE },
    category: text(100),
    brand: text(100),
    priceCents,
    initialStock: { type: 'integer', minimum: 0, maximum: MAX_ADJUSTMENT_UNITS, default: 0 },
  },
} as const;

export const updateProductBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: text(200),
    description: { ...text(5000, 0), pattern: MULTI_LINE },
    category: text(100),
    brand: text(100),
    priceCents,
  },
} as const;

export const adjustInventoryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['delta', 'reason'],
  properties: {
    delta: { type: 'integer', minimum: -MAX_ADJUSTMENT_UNITS, maximum: MAX_ADJUSTMENT_UNITS, not: { const: 0 }, description: 'Units to add (positive) or remove (negative); never zero.' },
    reason: { type: 'string', enum: ['restock', 'correction', 'damaged'] },
  },
} as const;

export const shippingAddress = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'line1', 'city', 'postalCode', 'country'],
  properties: {
    name: text(200),
    line1: text(200),
    line2: { type: ['string', 'null'], maxLength: 200, pattern: SINGLE_LINE },
    city: text(100),
    postalCode: text(20),
    country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' },
  },
} as const;

export const placeOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'shippingAddress'],
  properties: {
    customerId: { ...text(100), description: "Required for admin keys; a customer key may omit it (it is the key's own)." },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity'],
        properties: { sku: skuParam.properties.sku, quantity: { type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY } },
      },
    },
    shippingAddress,
  },
} as const;

export const cancelOrderBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: text(500) },
} as const;

export const shipOrderBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { carrier: text(100), trackingNumber: text(100) },
} as const;

export const commandHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$', description: 'Retries with the same key and body get the stored response.' },
    'if-match': ifMatchHeader,
  },
} as const;

export const commandAccepted = {
  type: 'object',
  required: ['aggregateId', 'version'],
  properties: {
    aggregateId: { type: 'string' },
    version: { type: 'integer', description: 'The aggregate version after the command: send it as X-Min-Version to read your own write.' },
  },
} as const;
