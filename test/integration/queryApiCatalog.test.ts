// GET /products/search and GET /reports/sales: parameters checked at the edge (each bad
// field named), any valid key may read.
import t, { type Test } from 'tap';
import { CUSTOMER_KEY, queryApiHarness } from '../support/queryApiHarness.ts';

const h = await queryApiHarness();
t.teardown(() => h.close());

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
