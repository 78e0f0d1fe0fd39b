// The pure parts of `outflow verify`: which read models it knows, how differences are found
// field by field, and how they are printed.
import t from 'tap';
import { allProjections } from '../../read-models/registry.ts';
import { compareById, fieldDifferences } from '../../projectors/verification/difference.ts';
import { readModelChecks } from '../../read-models/registry.ts';
import { describeDifference, verifyReportText } from '../../projectors/verification/verifyReportText.ts';
import type { VerifyReport } from '../../projectors/verification/verifyPipeline.ts';

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
      writeModel: { orders: 3, paidOrders: 1, customers: 2, products: 1, salesRows: 1 },
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
  t.match(text, /^write model: 3 orders \(1 with a payment\), 2 customers, 1 products, 1 sales day\/category rows/);
  t.match(text, /order-summary\s+1\s+1\s+2/);
  t.match(text, /sales-report\s+\(none\)/);
  t.match(text, /order o1 is in the read model but not in the write model/);
  t.notMatch(text, /order o2/, 'only as many as asked for');
  t.match(text, /… and 1 more/);
  t.match(text, /2 difference\(s\) in 1\.5 s \(2 rounds\)$/);
});

t.test('fieldDifferences looks only at the fields the write model has', async (t) => {
  const where = { projection: 'sales-report', entity: 'sales-day', id: '2024-05-01/kitchen' };
  t.same(fieldDifferences(where, { units: 3 }, { units: 3, updatedAt: 99 }), [], 'a read-model-only field is not compared');
});

t.test('compareById: each entity only the read model has, each only the write model has, each field that differs', async (t) => {
  const where = { projection: 'order-summary', entity: 'order' };
  const expected = new Map([
    ['o1', { total: 10, status: 'placed' }],
    ['o2', { total: 20, status: 'placed' }],
    ['o3', { total: 30, status: 'shipped' }],
  ]);
  async function* readModel() {
    yield { orderId: 'o1', totalCents: 10, state: 'placed' };
    yield { orderId: 'o3', totalCents: 31, state: 'shipped' };
    yield { orderId: 'o9', totalCents: 90, state: 'placed' };
  }
  const differences = await compareById(where, expected, readModel(), (a) => a.orderId, {
    expected: (e) => ({ totalCents: e.total, status: e.status }),
    actual: (a) => ({ totalCents: a.totalCents, status: a.state }),
  });
  t.same(differences, [
    { ...where, id: 'o3', kind: 'mismatch', field: 'totalCents', expected: 30, actual: 31 },
    { ...where, id: 'o9', kind: 'unexpected', actual: { totalCents: 90, status: 'placed' } },
    { ...where, id: 'o2', kind: 'missing', expected: { totalCents: 20, status: 'placed' } },
  ]);
  t.same(await compareById(where, new Map(), [], (a: { id: string }) => a.id, { expected: () => ({}), actual: () => ({}) }), [], 'nothing on either side');
});

const report = (overrides: Partial<VerifyReport>): VerifyReport => ({
  writeModel: { orders: 0, paidOrders: 0, customers: 0, products: 0, salesRows: 0 },
  projections: [],
  differences: [],
  rounds: 1,
  durationMs: 0,
  ...overrides,
});

t.test('each kind of difference, with and without a parked key, an absent value shown as such', async (t) => {
  const at = { projection: 'customer-orders', entity: 'customer', id: 'c1' };
  t.equal(describeDifference({ ...at, kind: 'missing', parked: true }), 'customer-orders: customer c1 is missing from the read model [parked in the DLQ]');
  t.equal(describeDifference({ ...at, kind: 'unexpected' }), 'customer-orders: customer c1 is in the read model but not in the write model');
  t.equal(describeDifference({ ...at, kind: 'unexpected', parked: true }), 'customer-orders: customer c1 is in the read model but not in the write model [parked in the DLQ]');
  t.equal(describeDifference({ ...at, kind: 'mismatch', field: 'orders', expected: ['o1'] }), 'customer-orders: customer c1 orders: expected ["o1"], read model has (absent)');
  t.equal(describeDifference({ ...at, kind: 'mismatch', field: 'carrier', expected: null, actual: 'DHL', parked: false }), 'customer-orders: customer c1 carrier: expected null, read model has "DHL"');
});

t.test('the whole report text: the table, every difference when all fit, one round without a round count', async (t) => {
  const differences = [{ projection: 'product-search', entity: 'product', id: 'SKU-1', kind: 'missing' as const }];
  const text = verifyReportText(
    report({
      writeModel: { orders: 1, paidOrders: 0, customers: 1, products: 2, salesRows: 0 },
      projections: [{ projection: 'product-search', generation: 12, parkedKeys: ['SKU-9', 'SKU-8'], differences: 1 }],
      differences,
      durationMs: 1049,
    }),
    1,
  );
  t.equal(
    text,
    [
      'write model: 1 orders (0 with a payment), 1 customers, 2 products, 0 sales day/category rows',
      '',
      'projection      generation  parked keys  differences',
      '--------------  ----------  -----------  -----------',
      'product-search  12          2            1',
      '',
      'product-search: product SKU-1 is missing from the read model',
      '1 difference(s) in 1.0 s',
    ].join('\n'),
  );
  t.equal(verifyReportText(report({}), 0).split('\n').at(-1), '0 difference(s) in 0.0 s', 'nothing to show, nothing more to say');
});
