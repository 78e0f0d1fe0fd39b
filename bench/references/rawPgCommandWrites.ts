// The reference for command latency: the rows each command of the mix writes, written with raw
// `pg`, one transaction per command, into private copies of the write tables on the same
// server. It takes the same row locks, inserts the same order, line, stock and outbox rows
// (outbox payloads of the size the real events have), but does no HTTP, validation, Avro
// encoding or domain logic: the floor the command API's transaction cannot go below.
import crypto from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../lib/postgresTransaction.ts';
import { mixKind } from '../load/commandMix.ts';

const TABLES = ['products', 'inventory', 'orders', 'order_items', 'outbox'] as const;
const PAYLOAD = crypto.randomBytes(320);

export class RawPgCommandWrites {
  private readonly schema: string;
  private readonly openOrders: string[] = [];
  private readonly skus: string[];

  constructor(private readonly pool: pg.Pool, runId: string, products = 50) {
    this.schema = `bench_${runId}`;
    this.skus = Array.from({ length: products }, (_, i) => `ref-${runId}-sku-${i}`);
  }

  private t(table: (typeof TABLES)[number]): string {
    return `${this.schema}.${table}`;
  }

  async setUp(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA ${this.schema}`);
    for (const table of TABLES) await this.pool.query(`CREATE TABLE ${this.t(table)} (LIKE write.${table} INCLUDING ALL)`);
    await this.pool.query(
      `INSERT INTO ${this.t('products')} (sku, name, description, category, brand, price_cents, version, created_at, updated_at)
       SELECT s, 'Reference product', 'written by the reference', 'kitchen', 'Outflow', 500, 1, now(), now() FROM unnest($1::text[]) AS s`,
      [this.skus],
    );
    await this.pool.query(`INSERT INTO ${this.t('inventory')} (sku, available, version, updated_at) SELECT s, 100000000, 1, now() FROM unnest($1::text[]) AS s`, [this.skus]);
  }

  async tearDown(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  private async outbox(tx: pg.PoolClient, aggregate: string, ids: string[]): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.t('outbox')} (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, occurred_at)
       SELECT gen_random_uuid(), $1, u.id, 2, 'BenchEvent', $3, now() FROM unnest($2::text[]) AS u(id)`,
      [aggregate, ids, PAYLOAD],
    );
  }

  private async moveStock(tx: pg.PoolClient, skus: string[], delta: number): Promise<void> {
    await tx.query(`SELECT sku, available, version FROM ${this.t('inventory')} WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`, [skus]);
    await tx.query(`UPDATE ${this.t('inventory')} SET available = available + $2, version = version + 1, updated_at = now() WHERE sku = ANY($1)`, [skus, delta]);
  }

  /** The rows of command `i` of the mix (commandMix.ts), in one transaction. */
  async write(i: number): Promise<void> {
    const kind = mixKind(i, this.openOrders.length);
    const sku = this.skus[i % this.skus.length]!;
    await inTransaction(this.pool, async (tx) => {
      switch (kind) {
        case 'place': {
          const orderId = `ref-${crypto.randomUUID()}`;
          const lines = 1 + (i % 3);
          const skus = [...new Set(Array.from({ length: lines }, (_, l) => this.skus[(i * 7 + l * 13) % this.skus.length]!))];
          await tx.query(`SELECT sku, price_cents FROM ${this.t('products')} WHERE sku = ANY($1)`, [skus]);
          await this.moveStock(tx, skus, -1);
          await tx.query(
            `INSERT INTO ${this.t('orders')} (order_id, customer_id, status, total_cents, shipping_address, version, placed_at, updated_at)
             VALUES ($1, $2, 'placed', 1500, $3, 1, now(), now())`,
            [orderId, `ref-customer-${i % 200}`, JSON.stringify({ name: 'Bench Customer', line1: '1 Load St', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' })],
          );
          await tx.query(
            `INSERT INTO ${this.t('order_items')} (order_id, line_no, sku, name, category, quantity, unit_price_cents, line_total_cents)
             SELECT $1, n, s, 'Reference product', 'kitchen', 1, 500, 500 FROM unnest($2::text[]) WITH ORDINALITY AS u(s, n)`,
            [orderId, skus],
          );
          await this.outbox(tx, 'order', [orderId]);
          await this.outbox(tx, 'inventory', skus);
          this.openOrders.push(orderId);
          return;
        }
        case 'reprice':
          await tx.query(`SELECT * FROM ${this.t('products')} WHERE sku = $1 FOR UPDATE`, [sku]);
          await tx.query(`UPDATE ${this.t('products')} SET price_cents = $2, version = version + 1, updated_at = now() WHERE sku = $1`, [sku, 500 + (i % 1000)]);
          await this.outbox(tx, 'product', [sku]);
          return;
        case 'restock':
          await this.moveStock(tx, [sku], 5);
          await this.outbox(tx, 'inventory', [sku]);
          return;
        case 'cancel':
        case 'readdress': {
          const orderId = this.openOrders.shift()!;
          await tx.query(`SELECT * FROM ${this.t('orders')} WHERE order_id = $1 FOR UPDATE`, [orderId]);
          await tx.query(`UPDATE ${this.t('orders')} SET status = $2, version = version + 1, updated_at = now() WHERE order_id = $1`, [orderId, kind === 'cancel' ? 'cancelled' : 'placed']);
          if (kind === 'cancel') await this.moveStock(tx, [sku], 1);
          await this.outbox(tx, 'order', [orderId]);
          return;
        }
      }
    });
  }
}
