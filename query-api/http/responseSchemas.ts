// The parts the read models' 200 answers are declared with (each read model declares its own
// answer beside its routes, read-models/<name>/routes.ts). Fastify compiles each into a serializer
// (fast-json-stringify) instead of running JSON.stringify per response, and they document the
// answers in the OpenAPI document. Such a serializer writes only the properties named here: a
// field a reader returns but its schema does not name is dropped without an error. So each schema
// names every field its reader builds, in the order the reader builds them (the body stays
// byte for byte what JSON.stringify gave; queryApiOrders and queryApiCatalog tests hold that),
// and the order's items and address follow the Avro records (a unit test compares them).
// No `required`: the serializer would throw on a missing field where JSON.stringify omitted it.
import { ORDER_STATUSES } from '../../schemas/orderState.ts';

export const text = { type: 'string' } as const;
export const nullableText = { type: ['string', 'null'] } as const;
export const integer = { type: 'integer' } as const;
export const cents = { type: 'integer', description: 'Minor currency units (cents).' } as const;
export const epochMs = { type: 'integer', description: 'Epoch milliseconds.' } as const;
export const orderStatus = { type: 'string', enum: ORDER_STATUSES } as const;

/** OrderLine of the OrderPlaced event, as placed. */
export const orderLineSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    sku: text,
    name: text,
    category: text,
    quantity: integer,
    unitPriceCents: cents,
    lineTotalCents: cents,
  },
} as const;

/** ShippingAddress of the order events, the latest. */
export const shippingAddressSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    name: text,
    line1: text,
    line2: nullableText,
    city: text,
    postalCode: text,
    country: { type: 'string', description: 'ISO 3166-1 alpha-2 code.' },
  },
} as const;
