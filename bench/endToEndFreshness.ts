// End-to-end freshness of the running pipeline: commands at a steady rate (open loop: each is
// sent on its schedule, whether or not earlier ones are done), and for each accepted command
// the time from the command API's answer (the transaction has committed) until the change is
// visible in each read model it touches, found by polling the read stores every 2 ms:
//   order-summary    the order's hash at the new version          (Redis)
//   customer-orders  the customer's entry at the new version      (Redis)
//   sales-report     the order counted                            (read-model Postgres)
//   product-search   the product document at the new version      (Elasticsearch real-time GET:
//                    written; full-text search sees it after the index refresh, ≤ 1 s later)
//   node --import tsx bench/endToEndFreshness.ts [commands/s] [seconds]
import crypto from 'node:crypto';
import { config } from '../lib/config.ts';
import { openReadConnections, closeReadConnections } from '../query-api/main.ts';
import { readCustomerOrders } from '../projectors/projections/customerOrders.ts';
import { readOrderSummary } from '../projectors/projections/orderSummary.ts';
import { readProductDocument } from '../projectors/projections/productSearch.ts';
import { SALES_REPORT } from '../projectors/projections/salesReport.ts';
import { postgresReadTarget } from '../projectors/stores/postgresStore.ts';

const rate = Number(process.argv[2] ?? 20);
const seconds = Number(process.argv[3] ?? 60);
const cfg = config();
const base = `http://${cfg.commandApi.host}:${cfg.commandApi.port}`;
const admin = cfg.auth.apiKeys.find((k) => k.role === 'admin');
if (!admin) throw new Error('OUTFLOW_API_KEYS needs an admin key');
const reads = openReadConnections(cfg);
const salesOrders = postgresReadTarget(SALES_REPORT, 'orders');

async function command(method: string, path: string, body: unknown): Promise<{ status: number; body: { aggregateId: string; version: number } }> {
  const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${admin!.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { aggregateId: string; version: number } };
}

const samples: Record<string, number[]> = { 'order-summary': [], 'customer-orders': [], 'sales-report': [], 'product-search': [] };
const timedOut: Record<string, number> = {};

async function until(model: string, since: number, visible: () => Promise<boolean>): Promise<void> {
  while (!(await visible())) {
    if (performance.now() - since > 30_000) {
      timedOut[model] = (timedOut[model] ?? 0) + 1;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  samples[model]!.push(performance.now() - since);
}

const run = crypto.randomBytes(3).toString('hex');
const skus = Array.from({ length: 8 }, (_, i) => `fresh-${run}-${i}`);
for (const sku of skus) {
  const created = await command('POST', '/products', { sku, name: `Fresh ${sku}`, description: 'freshness', category: 'bench', brand: 'Outflow', priceCents: 500, initialStock: 1_000_000 });
  if (created.status !== 201) throw new Error(`could not create a product (HTTP ${created.status}); is the pipeline up (npm start)?`);
}

async function one(i: number): Promise<void> {
  if (i % 4 === 3) {
    const sku = skus[i % skus.length]!;
    const updated = await command('PATCH', `/products/${sku}`, { priceCents: 500 + i });
    const at = performance.now();
    if (updated.status !== 200) throw new Error(`PATCH answered ${updated.status}`);
    await until('product-search', at, async () => ((await readProductDocument(reads.elasticsearch, sku))?.productVersion ?? 0) >= updated.body.version);
    return;
  }
  const customerId = `fresh-${run}-c${i % 5}`;
  const placed = await command('POST', '/orders', { customerId, items: [{ sku: skus[i % skus.length], quantity: 1 }], shippingAddress: { name: 'F', line1: '1 St', city: 'Leeds', postalCode: 'LS1', country: 'GB' } });
  const at = performance.now();
  if (placed.status !== 201) throw new Error(`POST /orders answered ${placed.status}`);
  const orderId = placed.body.aggregateId;
  await Promise.all([
    until('order-summary', at, async () => (await readOrderSummary(reads.redis, orderId))?.version === 1),
    until('customer-orders', at, async () => (await readCustomerOrders(reads.redis, customerId, { limit: 100 })).orders.some((o) => o.orderId === orderId)),
    until('sales-report', at, async () => (await reads.readPostgres.query(`SELECT 1 FROM ${salesOrders} WHERE order_id = $1`, [orderId])).rowCount === 1),
  ]);
}

const total = Math.round(rate * seconds);
const started = performance.now();
const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  inFlight.push(one(i));
}
await Promise.all(inFlight);
const achieved = total / ((performance.now() - started) / 1000);
await closeReadConnections(reads);

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
const result = Object.fromEntries(
  Object.entries(samples).map(([model, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [model, { n: sorted.length, p50Ms: +percentile(sorted, 0.5).toFixed(1), p95Ms: +percentile(sorted, 0.95).toFixed(1), p99Ms: +percentile(sorted, 0.99).toFixed(1), maxMs: +(sorted.at(-1) ?? NaN).toFixed(1), timedOut: timedOut[model] ?? 0 }];
  }),
);
console.log(JSON.stringify({ ratePerSecond: rate, seconds, commands: total, achievedPerSecond: +achieved.toFixed(1), freshness: result }, null, 2));
