// A command API wired to the real stack (write database, registry) and driven with
// fastify's inject(): no port, real transactions, real Avro encoding.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { config } from '../../lib/config.ts';
import { buildCommandApi } from '../../command-api/server.ts';
import { writePool } from '../../command-api/main.ts';
import { migrateWriteSchema } from '../../command-api/writeSchema.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import { registerCatalogSchemas } from '../../schemas/schemaRegistration.ts';
import { ensureStack, uniqueName } from './stack.ts';

export const ADMIN_KEY = 'harness-admin-key-0123456789';
export const CUSTOMER_KEY = 'harness-customer-key-0123456789';
export const OTHER_CUSTOMER_KEY = 'harness-other-customer-key-0123';

export interface Harness {
  app: FastifyInstance;
  pool: pg.Pool;
  codec: EventCodec;
  customerId: string;
  otherCustomerId: string;
  send(method: string, url: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Row counts of every write table: a rejected command must leave them unchanged. */
  writeCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function commandApiHarness(): Promise<Harness> {
  await ensureStack('postgres', 'registry');
  const customerId = uniqueName('customer');
  const otherCustomerId = uniqueName('customer');
  const base = config();
  const harnessConfig = {
    ...base,
    logLevel: 'silent',
    auth: {
      apiKeys: [
        { name: 'harness-admin', key: ADMIN_KEY, role: 'admin' as const },
        { name: `harness-${customerId}`, key: CUSTOMER_KEY, role: 'customer' as const, customerId },
        { name: `harness-${otherCustomerId}`, key: OTHER_CUSTOMER_KEY, role: 'customer' as const, customerId: otherCustomerId },
      ],
    },
  };
  await migrateWriteSchema(base);
  await registerCatalogSchemas(base);
  const pool = writePool({ ...base, logLevel: 'silent' });
  const codec = await EventCodec.connect(base);
  const app = await buildCommandApi({ config: harnessConfig, pool, encoder: codec });
  return {
    app,
    pool,
    codec,
    customerId,
    otherCustomerId,
    send: (method, url, { key = ADMIN_KEY, body, headers = {} } = {}) =>
      app.inject({
        method: method as 'GET',
        url,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    async writeCounts() {
      const tables = ['products', 'inventory', 'orders', 'order_items', 'outbox', 'processed_commands'];
      const { rows } = await pool.query<Record<string, string>>(
        `SELECT ${tables.map((t) => `(SELECT count(*) FROM write.${t}) AS ${t}`).join(', ')}`,
      );
      return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
    },
    async close() {
      await app.close();
      await pool.end();
    },
  };
}
