// Single-command latency of the running command API: N sequential POST /orders over
// HTTP (keep-alive), one at a time, so each figure is one command's full round trip:
// validation, auth, the transaction (stock lock, order, outbox with Avro encoding).
//   node --import tsx bench/sequentialCommandLatency.ts [count]
import crypto from 'node:crypto';
import { config } from '../lib/config.ts';

const count = Number(process.argv[2] ?? 1000);
const { commandApi, auth } = config();
const base = `http://${commandApi.host}:${commandApi.port}`;
const admin = auth.apiKeys.find((k) => k.role === 'admin');
const customer = auth.apiKeys.find((k) => k.role === 'customer');
if (!admin || !customer) throw new Error('OUTFLOW_API_KEYS needs an admin and a customer key');

async function post(path: string, key: string, body: unknown): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

const sku = `bench-${crypto.randomBytes(4).toString('hex')}`;
const created = await post('/products', admin.key, { sku, name: 'Bench item', description: 'latency', category: 'bench', brand: 'Outflow', priceCents: 199, initialStock: count * 2 });
if (created !== 201) throw new Error(`could not create the bench product (HTTP ${created}); is the command API up (npm start)?`);

const order = { items: [{ sku, quantity: 1 }], shippingAddress: { name: 'Bench', line1: '1 Loop', city: 'Localhost', postalCode: '127', country: 'GB' } };
for (let i = 0; i < 50; i++) await post('/orders', customer.key, order); // warm-up: JIT, pool connections

const millis: number[] = [];
for (let i = 0; i < count; i++) {
  const started = process.hrtime.bigint();
  const status = await post('/orders', customer.key, order);
  millis.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (status !== 201) throw new Error(`command ${i} answered HTTP ${status}`);
}
millis.sort((a, b) => a - b);
const at = (q: number) => millis[Math.min(millis.length - 1, Math.ceil(q * millis.length) - 1)]!.toFixed(2);
console.log(JSON.stringify({ commands: count, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: millis.at(-1)!.toFixed(2) }));
