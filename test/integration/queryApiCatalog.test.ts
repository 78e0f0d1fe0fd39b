// GET /products/search and GET /reports/sales: parameters checked at the edge (each bad
// field named), any valid key may read.
import pg from 'pg';
import t, { type Test } from 'tap';
import { config } from '../../lib/config.ts';
import { CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';

const h = await queryApiHarness();
// The harness reads as the query role; building sales tables takes the projector role. The pool
// closes after the harness, which truncates the stores built on it.
const projectorPool = new pg.Pool({ ...config().readModel.postgres, max: 2 });
t.teardown(async () => {
  await h.close();
  await projectorPool.end();
});

async function badRequest(t: Test, url: string, expected: string[]) {
  const response = await h.send(url, { key: CUSTOMER_KEY });
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
  const fullYear = await h.send('/reports/sales?from=2024-01-01&to=2024-12-31', { key: CUSTOMER_KEY });
  t.equal(fullYear.statusCode, 200, `366 days (a leap year) is allowed: ${fullYear.body}`);
});

t.test("search and the sales report read the harness's own generation, not the live one", async (t) => {
  const { exampleEvents } = await import('../../schemas/exampleEvents.ts');
  const { productSearchProjection } = await import('../../projectors/projections/productSearch.ts');
  const { salesReportProjection } = await import('../../projectors/projections/salesReport.ts');
  const { refreshReadModel } = await import('../../projectors/stores/elasticsearchLayout.ts');
  const sku = `SKU-${h.generation}`;
  const products = h.store(productSearchProjection);
  const sales = h.store(salesReportProjection, { readPostgres: projectorPool });
  await products.init();
  await sales.init();
  await h.apply([products], [{ type: 'ProductCreated', event: { ...exampleEvents.ProductCreated, aggregateId: sku, sku, name: `Samovar ${h.generation}` } }]);
  await h.apply([sales], [{ type: 'OrderPlaced', event: { ...exampleEvents.OrderPlaced, occurredAt: Date.UTC(2021, 2, 3, 12) } }]);
  await refreshReadModel(h.connections.elasticsearch, 'product-search', h.generation);

  const found = await h.send(`/products/search?q=Samovar%20${h.generation}`, { key: CUSTOMER_KEY });
  t.equal(found.statusCode, 200);
  t.match(found.json(), { total: 1, products: [{ sku, name: `Samovar ${h.generation}` }] });
  const report = await h.send('/reports/sales?from=2021-03-03&to=2021-03-03&groupBy=day', { key: CUSTOMER_KEY });
  t.equal(report.statusCode, 200);
  t.match(report.json(), { totals: { revenueCents: exampleEvents.OrderPlaced.totalCents } });
});
