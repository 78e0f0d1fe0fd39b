// Round trips to Postgres per command, by kind: one command of every kind is sent to a command API
// whose pool goes through a PostgresRoundTripProxy, and the proxy counts what each took. The
// integration test (test/integration/commandRoundTrips.test.ts) asserts on these counts; the
// commands scenario of the benchmark reports them, from a command API of its own built in process.
import crypto from 'node:crypto';
import type { Config } from '../../lib/config.ts';
import { writePool } from '../../command-api/main.ts';
import { buildCommandApi } from '../../command-api/server.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import { PostgresRoundTripProxy, type RoundTripCount } from './postgresRoundTripProxy.ts';
import { configuredKeysFor } from '../../lib/auth/localKeys.ts';

export const COMMAND_KINDS = ['CreateProduct', 'UpdateProduct', 'AdjustInventory', 'PlaceOrder', 'UpdateShippingAddress', 'ShipOrder', 'CancelOrder'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** Sends one HTTP command as an admin; the answer's status and JSON body. */
export type SendCommand = (method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: unknown }>;

export interface KindRoundTrips {
  kind: CommandKind;
  /** The first request: the command applied. */
  applied: RoundTripCount;
  /** The same request again with its Idempotency-Key (with `idempotencyKeys` only): the stored answer. */
  replayed?: RoundTripCount;
}

const address = { name: 'Round Trip', line1: '1 Wire St', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' };

/**
 * One command of each kind, in an order that gives each its aggregate: a product (and its stock),
 * an order to re-address and ship, another to cancel. With `idempotencyKeys` every command carries
 * a key of its own and is sent twice, the second time answered from the stored response.
 */
export async function commandRoundTrips(
  proxy: PostgresRoundTripProxy,
  send: SendCommand,
  { customerId, idempotencyKeys = false }: { customerId: string; idempotencyKeys?: boolean },
): Promise<KindRoundTrips[]> {
  const measured: KindRoundTrips[] = [];
  const run = async (kind: CommandKind | undefined, method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown, expect: number) => {
    const headers: Record<string, string> = idempotencyKeys ? { 'idempotency-key': `round-trips-${crypto.randomUUID()}` } : {};
    const before = proxy.snapshot();
    const first = await send(method, url, body, headers);
    const applied = proxy.since(before);
    if (first.status !== expect) throw new Error(`${method} ${url} answered ${first.status}: ${JSON.stringify(first.body)}`);
    let replayed: RoundTripCount | undefined;
    if (idempotencyKeys) {
      const again = proxy.snapshot();
      const second = await send(method, url, body, headers);
      replayed = proxy.since(again);
      if (second.status !== expect) throw new Error(`${method} ${url} replayed answered ${second.status}: ${JSON.stringify(second.body)}`);
    }
    if (kind) measured.push({ kind, applied, ...(replayed ? { replayed } : {}) });
    return first.body as { aggregateId: string };
  };
  const sku = `round-trips-${crypto.randomUUID()}`;
  const product = { sku, name: 'Round trip', description: 'counts round trips', category: 'kitchen', brand: 'Outflow', priceCents: 700, initialStock: 100 };
  await run('CreateProduct', 'POST', '/products', product, 201);
  await run('UpdateProduct', 'PATCH', `/products/${sku}`, { priceCents: 750 }, 200);
  await run('AdjustInventory', 'POST', `/inventory/${sku}/adjustments`, { delta: 5, reason: 'restock' }, 200);
  const order = { customerId, items: [{ sku, quantity: 2 }], shippingAddress: address };
  const placed = await run('PlaceOrder', 'POST', '/orders', order, 201);
  await run('UpdateShippingAddress', 'PUT', `/orders/${placed.aggregateId}/shipping-address`, { ...address, line1: '2 Wire St' }, 200);
  await run('ShipOrder', 'POST', `/orders/${placed.aggregateId}/ship`, { carrier: 'DHL', trackingNumber: 'RT1' }, 200);
  const toCancel = await run(undefined, 'POST', '/orders', order, 201);
  await run('CancelOrder', 'POST', `/orders/${toCancel.aggregateId}/cancel`, { reason: 'round trips counted' }, 200);
  return measured;
}

/**
 * A command API in this process (the code the service runs) whose pool goes through a counting
 * proxy to `config`'s write database, for the benchmark: the running service's own connections
 * cannot be counted from outside it.
 */
export async function measureCommandRoundTrips(config: Config, options: { idempotencyKeys?: boolean } = {}): Promise<KindRoundTrips[]> {
  const admin = configuredKeysFor(config.commandApi.host, config.auth.apiKeys).find((k) => k.role === 'admin');
  if (!admin) throw new Error('OUTFLOW_API_KEYS has no admin key: the round-trip count sends commands as an admin');
  const proxy = await PostgresRoundTripProxy.start({ host: config.postgres.host, port: config.postgres.port });
  const proxied: Config = { ...config, logLevel: 'silent', postgres: { ...config.postgres, host: proxy.host, port: proxy.port } };
  const pool = writePool(proxied);
  try {
    const app = await buildCommandApi({ config: proxied, pool, encoder: await EventCodec.connect(config) });
    try {
      const send: SendCommand = async (method, url, body, headers = {}) => {
        const response = await app.inject({ method, url, payload: body as object, headers: { authorization: `Bearer ${admin.key}`, ...headers } });
        return { status: response.statusCode, body: response.json() };
      };
      return await commandRoundTrips(proxy, send, { customerId: `round-trips-${crypto.randomUUID()}`, ...options });
    } finally {
      await app.close();
    }
  } finally {
    await pool.end();
    await proxy.close();
  }
}
