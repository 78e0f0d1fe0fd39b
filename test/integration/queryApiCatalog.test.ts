// GET /products/search and GET /reports/sales: parameters checked at the edge (each bad
// field named), any valid key may read.
import crypto from 'node:crypto';
import pg from 'pg';
import t, { type Test } from 'tap';
import { config } from '../../lib/config.ts';
import type { ProjectionStore } from '../../projectors/projection.ts';
import { productSearchProjection, searchProducts } from '../../read-models/product-search/projection.ts';
import { readSalesReport, salesReportProjection } from '../../read-models/sales-report/projection.ts';
import { refreshReadModel } from '../../projectors/stores/elasticsearchLayout.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { ADMIN_KEY, CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';

const h = await queryApiHarness();
// The harness reads as the query role; building sales tables takes the projector role. The pool
// closes after the harness, which truncates the stores built on it.
const projectorPool = new pg.Pool({ ...config().readModel.postgres, max: 2 });
t.teardown(async () => {
  await h.close();
  await projectorPool.end();
});

async function badRequest(t: Test, url: string, expected: string[]) {
  // An admin key: a customer key is refused sales reports before their parameters are checked.
  const response = await h.send(url, { key: ADMIN_KEY });
  t.equal(response.statusCode, 400, `${url}: ${response.body}`);
  const { error } = response.json() as { error: { code: string; fields: { field: string }[] } };
  t.equal(error.code, 'OUTFLOW_ERR_VALIDATION');
  t.same(error.fields.map((f) => f.field).sort(), expected, url);
}

t.test('product search: bad parameters are 400 naming each field', async (t) => {
  await badRequest(t, '/products/search?minPrice=5000&maxPrice=100', ['querystring.maxPrice', 'querystring.minPrice']);
  await badRequest(t, '/products/search?page=0&pageSize=101', ['querystring.page', 'querystring.pageSize']);
  await badRequest(t, '/products/search?minPrice=-1&inStock=maybe&colour=red', ['querystring.colour', 'querystring.inStock', 'querystring.minPrice']);
  await badRequest(t, '/products/search?page=101&pageSize=100', ['querystring.page']);
});

t.test('sales report: bad parameters are 400 naming each field', async (t) => {
  await badRequest(t, '/reports/sales?from=2024-03-02&to=2024-03-01', ['querystring.from', 'querystring.to']);
  await badRequest(t, '/reports/sales?from=2024-01-01&to=2024-01-31&groupBy=week', ['querystring.groupBy']);
  await badRequest(t, '/reports/sales?from=2024-02-30&to=yesterday', ['querystring.from', 'querystring.to']);
  await badRequest(t, '/reports/sales?groupBy=day', ['querystring.from', 'querystring.to']);
  await badRequest(t, '/reports/sales?from=2023-01-01&to=2024-01-02', ['querystring.to']);
  const fullYear = await h.send('/reports/sales?from=2024-01-01&to=2024-12-31', { key: ADMIN_KEY });
  t.equal(fullYear.statusCode, 200, `366 days (a leap year) is allowed: ${fullYear.body}`);
});

/** The product-search and sales-report stores of the harness's generation, made once for the subtests that need them. */
let catalogStores: Promise<{ products: ProjectionStore; sales: ProjectionStore }> | undefined;
function storesOnce() {
  catalogStores ??= (async () => {
    const products = h.store(productSearchProjection);
    const sales = h.store(salesReportProjection, { readPostgres: projectorPool });
    await products.init();
    await sales.init();
    return { products, sales };
  })();
  return catalogStores;
}

t.test("search and the sales report read the harness's own generation, not the live one", async (t) => {
  const sku = `SKU-${h.generation}`;
  const { products, sales } = await storesOnce();
  await h.apply([products], [{ type: 'ProductCreated', event: { ...exampleEvents.ProductCreated, aggregateId: sku, sku, name: `Samovar ${h.generation}` } }]);
  await h.apply([sales], [{ type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, occurredAt: Date.UTC(2021, 2, 3, 12) } }]);
  await refreshReadModel(h.connections.elasticsearch, 'product-search', h.generation);

  const found = await h.send(`/products/search?q=Samovar%20${h.generation}`, { key: CUSTOMER_KEY });
  t.equal(found.statusCode, 200);
  t.match(found.json(), { total: 1, products: [{ sku, name: `Samovar ${h.generation}` }] });
  const report = await h.send('/reports/sales?from=2021-03-03&to=2021-03-03&groupBy=day', { key: ADMIN_KEY });
  t.equal(report.statusCode, 200);
  t.match(report.json(), { totals: { revenueCents: exampleEvents.OrderPlaced.totalCents } });
});

t.test("every answer is byte for byte what JSON.stringify gave of the reader's value (the response schemas drop nothing)", async (t) => {
  const { products, sales } = await storesOnce();
  const brand = `Brand${h.generation}`;
  const withStock = { ...exampleEvents.ProductCreated, aggregateId: `SKU-A-${h.generation}`, sku: `SKU-A-${h.generation}`, brand, category: 'kitchen' };
  const withoutStock = { ...exampleEvents.ProductCreated, aggregateId: `SKU-B-${h.generation}`, sku: `SKU-B-${h.generation}`, brand, category: 'garden' };
  await h.apply([products], [
    { type: 'ProductCreated', event: withStock },
    { type: 'ProductCreated', event: withoutStock },
    { type: 'InventoryAdjusted', event: { ...exampleEvents.InventoryAdjusted, aggregateId: withStock.sku, sku: withStock.sku, delta: 5, available: 5, reason: 'restock', orderId: null } },
  ]);
  await refreshReadModel(h.connections.elasticsearch, 'product-search', h.generation);
  const search = await h.send(`/products/search?brand=${brand}`, { key: CUSTOMER_KEY });
  t.equal(search.statusCode, 200, search.body);
  const expectedSearch = await searchProducts(h.connections.elasticsearch, { brand, page: 1, pageSize: 20, generation: h.generation });
  t.equal(search.body, JSON.stringify(expectedSearch), 'a search: products with and without stock, facets');
  t.match(expectedSearch, { total: 2, facets: { category: [{}, {}], brand: [{ value: brand, count: 2 }] } });
  t.same(new Set(expectedSearch.products.map((p) => p.inventoryVersion)), new Set([1, null]), 'an inventory version and a null one');

  const day = (d: number) => Date.UTC(2021, 3, d, 12);
  await h.apply([sales], [
    { type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, eventId: crypto.randomUUID(), aggregateId: 'order-r1', orderId: 'order-r1', occurredAt: day(5) } },
    { type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, eventId: crypto.randomUUID(), aggregateId: 'order-r2', orderId: 'order-r2', occurredAt: day(6) } },
  ]);
  for (const groupBy of ['day', 'category'] as const) {
    const report = await h.send(`/reports/sales?from=2021-04-05&to=2021-04-06&groupBy=${groupBy}`, { key: ADMIN_KEY });
    t.equal(report.statusCode, 200, report.body);
    const expected = await readSalesReport(h.connections.readPostgres, { from: '2021-04-05', to: '2021-04-06', groupBy, generation: h.generation });
    t.equal(report.body, JSON.stringify(expected), `the sales report by ${groupBy}`);
    t.ok(expected.rows.length > 0 && expected.totals.revenueCents > 0, `by ${groupBy}: rows and totals to compare`);
  }
});
