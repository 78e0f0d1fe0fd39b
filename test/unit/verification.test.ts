// The pure parts of `outflow verify`: which read models it knows, how differences are found
// field by field, and how they are printed.
import t from 'tap';
import { allProjections } from '../../projectors/projections/index.ts';
import { fieldDifferences } from '../../projectors/verification/difference.ts';
import { readModelChecks } from '../../projectors/verification/readModelChecks.ts';
import { describeDifference, verifyReportText } from '../../projectors/verification/verifyReportText.ts';

t.test('verify has a check for every projection the workers run, and no other', async (t) => {
  t.same(readModelChecks.map((c) => c.projection.name).sort(), allProjections.map((p) => p.name).sort());
  for (const check of readModelChecks) t.equal(check.projection, allProjections.find((p) => p.name === check.projection.name), `${check.projection.name}: the same definition`);
});

t.test('fieldDifferences compares deeply, ignores key order, and reports each differing field', async (t) => {
  const where = { projection: 'order-summary', entity: 'order', id: 'o1' };
  const expected = { status: 'placed', address: { city: 'Leeds', line2: null }, items: [{ sku: 'A', quantity: 1 }], version: 2 };
  t.same(fieldDifferences(where, expected, { version: 2, items: [{ quantity: 1, sku: 'A' }], address: { line2: null, city: 'Leeds' }, status: 'placed' }), []);
  t.same(fieldDifferences(where, expected, { ...expected, status: 'shipped', items: [{ sku: 'A', quantity: 2 }] }), [
    { ...where, kind: 'mismatch', field: 'status', expected: 'placed', actual: 'shipped' },
    { ...where, kind: 'mismatch', field: 'items', expected: [{ sku: 'A', quantity: 1 }], actual: [{ sku: 'A', quantity: 2 }] },
  ]);
  t.same(fieldDifferences(where, { version: 2 }, { version: '2' }).map((d) => d.field), ['version'], 'a number is not its string');
  t.same(fieldDifferences(where, { carrier: null }, {}).map((d) => d.field), ['carrier'], 'null is not absent');
});

t.test('the report names each difference and ends with the count', async (t) => {
  t.equal(
    describeDifference({ projection: 'order-summary', entity: 'order', id: 'o1', kind: 'mismatch', field: 'status', expected: 'placed', actual: 'shipped', parked: true }),
    'order-summary: order o1 status: expected "placed", read model has "shipped" [parked in the DLQ]',
  );
  t.equal(describeDifference({ projection: 'product-search', entity: 'product', id: 'SKU-1', kind: 'missing' }), 'product-search: product SKU-1 is missing from the read model');
  const text = verifyReportText(
    {
      writeModel: { orders: 3, customers: 2, products: 1, salesRows: 1 },
      projections: [{ projection: 'order-summary', generation: 1, parkedKeys: ['o9'], differences: 2 }, { projection: 'sales-report', generation: null, parkedKeys: [], differences: 0 }],
      differences: [
        { projection: 'order-summary', entity: 'order', id: 'o1', kind: 'unexpected' },
        { projection: 'order-summary', entity: 'order', id: 'o2', kind: 'missing' },
      ],
      rounds: 2,
      durationMs: 1500,
    },
    1,
  );
  t.match(text, /^write model: 3 orders, 2 customers, 1 products, 1 sales day\/category rows/);
  t.match(text, /order-summary\s+1\s+1\s+2/);
  t.match(text, /sales-report\s+\(none\)/);
  t.match(text, /order o1 is in the read model but not in the write model/);
  t.notMatch(text, /order o2/, 'only as many as asked for');
  t.match(text, /… and 1 more/);
  t.match(text, /2 difference\(s\) in 1\.5 s \(2 rounds\)$/);
});
