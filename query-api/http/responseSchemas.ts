// JSON schemas of the query API's 200 answers. Fastify compiles each into a serializer
// (fast-json-stringify) instead of running JSON.stringify per response, and they document the
// answers in the OpenAPI document. Such a serializer writes only the properties named here: a
// field a reader returns but this file does not name is dropped without an error. So each schema
// names every field its reader builds, in the order the reader builds them (the body stays
// byte for byte what JSON.stringify gave; queryApiOrders and queryApiCatalog tests hold that),
// and the order's items and address follow the Avro records (a unit test compares them).
// No `required`: the serializer would throw on a missing field where JSON.stringify omitted it.

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const integer = { type: 'integer' } as const;
const cents = { type: 'integer', description: 'Minor currency units (cents).' } as const;
const epochMs = { type: 'integer', description: 'Epoch milliseconds.' } as const;
const orderStatus = { type: 'string', enum: ['placed', 'cancelled', 'shipped'] } as const;

/** OrderLine of the OrderPlaced event, as placed. */
export const orderLineSchema = {
  type: 'object',
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
  type: 'object',
  properties: {
    name: text,
    line1: text,
    line2: nullableText,
    city: text,
    postalCode: text,
    country: { type: 'string', description: 'ISO 3166-1 alpha-2 code.' },
  },
} as const;

/** OrderSummary, as parseOrderSummary builds it. */
export const orderSummaryResponse = {
  type: 'object',
  description: 'The order as the read model has it.',
  properties: {
    orderId: text,
    customerId: text,
    status: orderStatus,
    items: { type: 'array', items: orderLineSchema },
    totalCents: cents,
    shippingAddress: shippingAddressSchema,
    cancelReason: nullableText,
    carrier: nullableText,
    trackingNumber: nullableText,
    placedAt: { ...epochMs, description: 'When the order was placed (epoch ms).' },
    updatedAt: { ...epochMs, description: 'When the last applied event happened (epoch ms).' },
    version: { type: 'integer', description: "The order's version in the read model; what X-Min-Version compares with." },
  },
} as const;

/** CustomerOrdersPage, as readCustomerOrders builds it. */
export const customerOrdersResponse = {
  type: 'object',
  description: "A page of the customer's orders, newest first.",
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          orderId: text,
          status: orderStatus,
          totalCents: cents,
          itemCount: { type: 'integer', description: 'Number of order lines.' },
          placedAt: epochMs,
          version: integer,
        },
      },
    },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' },
  },
} as const;

const facetCounts = { type: 'array', items: { type: 'object', properties: { value: text, count: integer } } } as const;

/** ProductSearchResult, as searchProducts builds it (each product as toProductDocument does). */
export const productSearchResponse = {
  type: 'object',
  description: 'The page of matching products and the facet counts of all matches.',
  properties: {
    total: integer,
    page: integer,
    pageSize: integer,
    products: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: text,
          name: text,
          description: text,
          category: text,
          brand: text,
          priceCents: cents,
          available: { type: 'integer', description: 'Available units; 0 until the first inventory event.' },
          inStock: { type: 'boolean' },
          updatedAt: epochMs,
          productVersion: integer,
          inventoryVersion: { type: ['integer', 'null'], description: 'null until the first inventory event.' },
        },
      },
    },
    facets: { type: 'object', properties: { category: facetCounts, brand: facetCounts } },
  },
} as const;

const salesSums = { revenueCents: cents, units: integer } as const;

/** SalesReport, as readSalesReport builds it: each row has `day` or `category`, as grouped. */
export const salesReportResponse = {
  type: 'object',
  description: 'Revenue and units per day or per category, and their totals.',
  properties: {
    from: text,
    to: text,
    groupBy: { type: 'string', enum: ['day', 'category'] },
    rows: { type: 'array', items: { type: 'object', properties: { day: text, category: text, ...salesSums } } },
    totals: { type: 'object', properties: salesSums },
  },
} as const;
