// A command API wired to the real stack (write database, registry) and driven with
// fastify's inject(): no port, real transactions, real Avro encoding.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { config, type Config } from '../../lib/config.ts';
import { buildCommandApi } from '../../command-api/server.ts';
import { writePool } from '../../command-api/main.ts';
import { withWriteDatabase } from '../../lib/writeDatabase.ts';
import { migrateWriteSchema } from '../../lib/writeSchema/writeSchemaMigration.ts';
import { migratePaymentsSchema, paymentsPool as openPaymentsPool } from '../../payments/paymentsDatabase.ts';
import { EventCodec, type EventEncoder } from '../../schemas/eventCodec.ts';
import { registerCatalogSchemas } from '../../schemas/schemaRegistration.ts';
import { ensureStack, uniqueName } from './stack.ts';

export const ADMIN_KEY = 'harness-admin-key-0123456789';
export const CUSTOMER_KEY = 'harness-customer-key-0123456789';
export const OTHER_CUSTOMER_KEY = 'harness-other-customer-key-0123';

const WRITE_TABLES = ['products', 'inventory', 'orders', 'order_items', 'outbox', 'processed_commands'];

export interface HarnessOptions {
  /**
   * Runs on a write database of its own (same server, same migrations), created here and dropped
   * by close(): nothing but this harness writes to it, so whole tables can be compared before and
   * after a command even while other test files write to the shared one.
   */
  ownWriteDatabase?: boolean;
  /** Wraps the real codec the command API encodes outbox payloads with (to inject a fault). */
  encoder?: (codec: EventCodec) => EventEncoder;
  /**
   * Where the command API's pool connects instead of the write database's server: a proxy in front
   * of it (one that counts round trips). Migrations and `config` still name the server itself.
   */
  postgresVia?: { host: string; port: number };
  /** The payments service's pool connects here instead (e.g. a port nothing listens on: its database down). */
  paymentsPostgresVia?: { host: string; port: number };
}

export interface Harness {
  app: FastifyInstance;
  pool: pg.Pool;
  /** The payments service's database (shared by every harness: payments are keyed by new order ids). */
  paymentsPool: pg.Pool;
  codec: EventCodec;
  /** The configuration the command API runs with (its write database included). */
  config: Config;
  customerId: string;
  otherCustomerId: string;
  send(method: string, url: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Row counts of every write table: a rejected command must leave them unchanged. */
  writeCounts(): Promise<Record<string, number>>;
  /** Row count and checksum of every write table's rows: equal means not a byte changed. */
  writeChecksums(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function commandApiHarness(options: HarnessOptions = {}): Promise<Harness> {
  // The command API looks stored keys up on the read-model server: an unknown key reaches it.
  await ensureStack('postgres', 'postgres-read', 'registry');
  const customerId = uniqueName('customer');
  const otherCustomerId = uniqueName('customer');
  const shared = config();
  const ownDatabase = options.ownWriteDatabase ? uniqueName('outflow_write_test').replaceAll('-', '_') : undefined;
  const dropOwnDatabase = async () => {
    if (ownDatabase) await withWriteDatabase(shared, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(ownDatabase)} WITH (FORCE)`));
  };
  if (ownDatabase) {
    // TEMPLATE template0: nobody connects to it, so the copy cannot fail on a busy template1.
    await withWriteDatabase(shared, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(ownDatabase)} TEMPLATE template0`));
  }
  const base: Config = ownDatabase ? { ...shared, postgres: { ...shared.postgres, writeDatabase: ownDatabase } } : shared;
  const harnessConfig: Config = {
    ...base,
    logLevel: 'silent',
    auth: {
      ...base.auth,
      apiKeys: [
        { name: 'harness-admin', key: ADMIN_KEY, role: 'admin' as const },
        { name: `harness-${customerId}`, key: CUSTOMER_KEY, role: 'customer' as const, customerId },
        { name: `harness-${otherCustomerId}`, key: OTHER_CUSTOMER_KEY, role: 'customer' as const, customerId: otherCustomerId },
      ],
    },
  };
  await migrateWriteSchema(base).catch(async (error: unknown) => {
    await dropOwnDatabase();
    throw error;
  });
  await migratePaymentsSchema(base);
  await registerCatalogSchemas(base);
  const pool = writePool({ ...base, logLevel: 'silent', postgres: { ...base.postgres, ...options.postgresVia } });
  const paymentsPool = openPaymentsPool({ ...base, logLevel: 'silent', postgres: { ...base.postgres, ...options.paymentsPostgresVia } });
  const codec = await EventCodec.connect(base);
  const app = await buildCommandApi({ config: harnessConfig, pool, paymentsPool, encoder: options.encoder ? options.encoder(codec) : codec });
  return {
    app,
    pool,
    paymentsPool,
    codec,
    config: harnessConfig,
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
      const { rows } = await pool.query<Record<string, string>>(
        `SELECT ${WRITE_TABLES.map((t) => `(SELECT count(*) FROM write.${t}) AS ${t}`).join(', ')}`,
      );
      return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
    },
    async writeChecksums() {
      // One statement, so every table is read from the same snapshot.
      const { rows } = await pool.query<Record<string, string>>(
        `SELECT ${WRITE_TABLES.map((t) => `(SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text)), '-') FROM write.${t} r) AS ${t}`).join(', ')}`,
      );
      return { ...rows[0] };
    },
    async close() {
      await app.close();
      await pool.end();
      await paymentsPool.end();
      await dropOwnDatabase();
    },
  };
}
