// sales-report: revenue and units per UTC day and category, in the read-model Postgres.
// An order counts on the day it was placed; its cancellation takes back exactly what its
// placement added, from that same day, once. The orders table remembers each counted order's
// day and per-category contribution, so a cancellation needs nothing else and a second
// cancellation (or a second placement) finds the order already handled.
import type pg from 'pg';
import { isUndefinedTable } from '../../lib/postgresFailure.ts';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import type { OrderLine } from '../../schemas/generated/eventTypes.ts';
import { definePostgresProjection, postgresReadTarget } from '../../projectors/stores/postgresStore.ts';

export const SALES_REPORT = 'sales-report';

export interface CategoryContribution {
  category: string;
  revenueCents: number;
  units: number;
}

/** The UTC calendar day of an epoch-ms instant, YYYY-MM-DD. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** What an order's lines add to each category, sorted by category. */
export function contributionsOf(items: readonly OrderLine[]): CategoryContribution[] {
  const byCategory = new Map<string, CategoryContribution>();
  for (const line of items) {
    const entry = byCategory.get(line.category) ?? { category: line.category, revenueCents: 0, units: 0 };
    entry.revenueCents += line.lineTotalCents;
    entry.units += line.quantity;
    byCategory.set(line.category, entry);
  }
  return [...byCategory.values()].sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

type Placement = Extract<ProjectionEvent, { type: 'OrderPlaced' }>;

/** A run of a chunk whose placements and whose cancellations (order ids) each go in one statement. */
export interface SalesSegment {
  placements: Placement[];
  cancellations: string[];
}

/**
 * A chunk's placements and cancellations, split so each kind of a segment is one statement.
 * Placements go first; that is the order of the log as long as no placement follows a
 * cancellation of the same order, so a segment ends where one would (a redelivered placement
 * after its cancellation: it must find the order counted, as it would one event at a time).
 */
export function salesSegmentsOf(events: readonly ProjectionEvent[]): SalesSegment[] {
  const segments: SalesSegment[] = [];
  let placements = new Map<string, Placement>();
  let cancellations = new Set<string>();
  const close = () => {
    if (placements.size || cancellations.size) segments.push({ placements: [...placements.values()], cancellations: [...cancellations] });
    placements = new Map();
    cancellations = new Set();
  };
  for (const event of events) {
    if (event.type === 'OrderPlaced') {
      if (cancellations.has(event.event.orderId)) close();
      // A second placement of an order in the segment adds nothing: the first one inserts the row.
      if (!placements.has(event.event.orderId)) placements.set(event.event.orderId, event);
    } else if (event.type === 'OrderCancelled') {
      cancellations.add(event.event.orderId);
    }
  }
  close();
  return segments;
}

const CONTRIBUTION_RECORD = `AS c(category text, "revenueCents" bigint, units bigint)`;

/** The (day, category) rows a chunk's placements add to, sorted and without repeats, as two parallel arrays. */
export function placementKeysOf(placements: readonly Placement[]): { days: string[]; categories: string[] } {
  const keys = new Set<string>();
  for (const { event } of placements) {
    const day = utcDay(event.occurredAt);
    for (const { category } of contributionsOf(event.items)) keys.add(`${day}\u0000${category}`);
  }
  const days: string[] = [];
  const categories: string[] = [];
  for (const key of [...keys].sort()) {
    const [day, category] = key.split('\u0000') as [string, string];
    days.push(day);
    categories.push(category);
  }
  return { days, categories };
}

/**
 * Takes the row lock of every daily row the chunk will change, in (day, category) order, before
 * changing any. Every partition's transaction adds to the same rows of the current day; one that
 * locked them statement by statement (a segment's placements, then its cancellations, then the
 * next segment's) could hold one row another waits on while waiting on one the other holds: a
 * deadlock, which Postgres only finds after deadlock_timeout (1 s) and resolves by aborting one.
 * Rows the placements create are first inserted empty, in the same order, so that they can be
 * locked too; a row that stays empty is a day's category whose every order was counted before.
 */
async function lockDailyRows(segments: readonly SalesSegment[], tx: pg.PoolClient, tables: Readonly<Record<'daily' | 'orders', string>>): Promise<void> {
  const { days, categories } = placementKeysOf(segments.flatMap((segment) => segment.placements));
  const cancelled = [...new Set(segments.flatMap((segment) => segment.cancellations))];
  if (days.length) {
    await tx.query(
      `INSERT INTO ${tables.daily} (day, category, revenue_cents, units, orders)
       SELECT day, category, 0, 0, 0 FROM unnest($1::date[], $2::text[]) AS k(day, category) ORDER BY day, category
       ON CONFLICT (day, category) DO NOTHING`,
      [days, categories],
    );
  }
  await tx.query(
    `SELECT 1 FROM ${tables.daily} AS d
     WHERE (d.day, d.category) IN (
       SELECT * FROM unnest($1::date[], $2::text[])
       UNION SELECT o.day, c.category FROM ${tables.orders} AS o, jsonb_to_recordset(o.contributions) AS c(category text)
       WHERE o.order_id = ANY($3::text[]))
     ORDER BY d.day, d.category FOR UPDATE OF d`,
    [days, categories, cancelled],
  );
}

async function applySegments(events: readonly ProjectionEvent[], tx: pg.PoolClient, tables: Readonly<Record<'daily' | 'orders', string>>): Promise<void> {
  const segments = salesSegmentsOf(events);
  if (segments.length === 0) return;
  await lockDailyRows(segments, tx, tables);
  for (const { placements, cancellations } of segments) {
    if (placements.length) await placeOrders(placements, tx, tables);
    if (cancellations.length) await cancelOrders(cancellations, tx, tables);
  }
}

async function placeOrders(placements: readonly Placement[], tx: pg.PoolClient, tables: Readonly<Record<'daily' | 'orders', string>>): Promise<void> {
  // Aggregated per (day, category) so the upsert touches each row once, in key order so two
  // partitions' transactions lock the shared rows in the same order.
  await tx.query(
    `WITH placed AS (
       INSERT INTO ${tables.orders} (order_id, day, contributions)
       SELECT * FROM unnest($1::text[], $2::date[], $3::jsonb[])
       ON CONFLICT (order_id) DO NOTHING RETURNING day, contributions),
     sums AS (
       SELECT placed.day, c.category, SUM(c."revenueCents") AS revenue, SUM(c.units) AS units, COUNT(*) AS orders
       FROM placed, jsonb_to_recordset(placed.contributions) ${CONTRIBUTION_RECORD} GROUP BY 1, 2)
     INSERT INTO ${tables.daily} AS d (day, category, revenue_cents, units, orders)
     SELECT day, category, revenue, units, orders FROM sums ORDER BY day, category
     ON CONFLICT (day, category) DO UPDATE
       SET revenue_cents = d.revenue_cents + EXCLUDED.revenue_cents, units = d.units + EXCLUDED.units, orders = d.orders + EXCLUDED.orders`,
    [
      placements.map((p) => p.event.orderId),
      placements.map((p) => utcDay(p.event.occurredAt)),
      placements.map((p) => JSON.stringify(contributionsOf(p.event.items))),
    ],
  );
}

async function cancelOrders(orderIds: readonly string[], tx: pg.PoolClient, tables: Readonly<Record<'daily' | 'orders', string>>): Promise<void> {
  await tx.query(
    `WITH cancelled AS (
       UPDATE ${tables.orders} SET cancelled = true WHERE order_id = ANY($1::text[]) AND NOT cancelled RETURNING day, contributions),
     sums AS (
       SELECT cancelled.day, c.category, SUM(c."revenueCents") AS revenue, SUM(c.units) AS units, COUNT(*) AS orders
       FROM cancelled, jsonb_to_recordset(cancelled.contributions) ${CONTRIBUTION_RECORD} GROUP BY 1, 2)
     UPDATE ${tables.daily} AS d
       SET revenue_cents = d.revenue_cents - sums.revenue, units = d.units - sums.units, orders = d.orders - sums.orders
     FROM sums WHERE d.day = sums.day AND d.category = sums.category`,
    [orderIds],
  );
}

export const salesReportProjection = definePostgresProjection({
  name: SALES_REPORT,
  version: 1,
  tables: {
    // orders = how many counted, not cancelled orders have lines of the category that day.
    daily: `day date NOT NULL, category text NOT NULL, revenue_cents bigint NOT NULL, units bigint NOT NULL, orders bigint NOT NULL,
      PRIMARY KEY (day, category)`,
    orders: `order_id text PRIMARY KEY, day date NOT NULL, cancelled boolean NOT NULL DEFAULT false, contributions jsonb NOT NULL`,
  },
  eventTypes: ['OrderPlaced', 'OrderCancelled'],
  // One definition for a chunk and for one event alone (how the store isolates a poison event):
  // only the placement that inserts the order row adds to the days, and only the cancellation that
  // flips `cancelled` subtracts, exactly what the placement added.
  apply: (events, { tx, tables }) => applySegments(events, tx, tables),
});

export interface SalesReportQuery {
  /** First day, YYYY-MM-DD (UTC), inclusive. */
  from: string;
  /** Last day, YYYY-MM-DD (UTC), inclusive. */
  to: string;
  groupBy: 'day' | 'category';
  generation?: number;
}

export interface SalesReportRow {
  day?: string;
  category?: string;
  revenueCents: number;
  units: number;
}

export interface SalesReport {
  from: string;
  to: string;
  groupBy: 'day' | 'category';
  rows: SalesReportRow[];
  totals: { revenueCents: number; units: number };
}

/** A read of a read model nobody has initialised yet (no view, no table) reads as empty. */
async function queryOrEmpty<R extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[]): Promise<R[]> {
  try {
    return (await pool.query<R>(sql, params)).rows;
  } catch (error) {
    if (isUndefinedTable(error)) return [];
    throw error;
  }
}

/**
 * Revenue and units per day or per category between two days (both inclusive), through the
 * view (or `generation`'s table). Works with SELECT-only privileges. Day/category pairs whose
 * orders were all cancelled are left out.
 */
export async function readSalesReport(pool: pg.Pool, query: SalesReportQuery): Promise<SalesReport> {
  const { from, to, groupBy } = query;
  const daily = postgresReadTarget(SALES_REPORT, 'daily', query.generation);
  const key = groupBy === 'day' ? `to_char(day, 'YYYY-MM-DD')` : 'category';
  const rows = await queryOrEmpty<{ key: string; revenue: string; units: string }>(
    pool,
    `SELECT ${key} AS key, SUM(revenue_cents)::text AS revenue, SUM(units)::text AS units
       FROM ${daily} WHERE day BETWEEN $1::date AND $2::date AND orders > 0
       GROUP BY 1 ORDER BY ${key} COLLATE "C"`,
    [from, to],
  );
  const out: SalesReportRow[] = rows.map((row) => {
    const sums = { revenueCents: Number(row.revenue), units: Number(row.units) };
    return groupBy === 'day' ? { day: row.key, ...sums } : { category: row.key, ...sums };
  });
  const totals = out.reduce((sum, row) => ({ revenueCents: sum.revenueCents + row.revenueCents, units: sum.units + row.units }), { revenueCents: 0, units: 0 });
  return { from, to, groupBy, rows: out, totals };
}

export interface SalesDailyRow {
  day: string;
  category: string;
  revenueCents: number;
  units: number;
  orders: number;
}

export interface SalesOrderRow {
  orderId: string;
  day: string;
  cancelled: boolean;
}

/** Every stored day/category row of a generation (default: the live one), zeros included, for `outflow verify`. */
export async function readSalesDailyRows(pool: pg.Pool, options: { generation?: number } = {}): Promise<SalesDailyRow[]> {
  const rows = await queryOrEmpty<{ day: string; category: string; revenue: string; units: string; orders: string }>(
    pool,
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, category, revenue_cents::text AS revenue, units::text AS units, orders::text AS orders
       FROM ${postgresReadTarget(SALES_REPORT, 'daily', options.generation)} ORDER BY day, category COLLATE "C"`,
    [],
  );
  return rows.map((r) => ({ day: r.day, category: r.category, revenueCents: Number(r.revenue), units: Number(r.units), orders: Number(r.orders) }));
}

/** Every counted order of a generation (default: the live one) with its day and whether it was cancelled. */
export async function readSalesOrders(pool: pg.Pool, options: { generation?: number } = {}): Promise<SalesOrderRow[]> {
  const rows = await queryOrEmpty<{ order_id: string; day: string; cancelled: boolean }>(
    pool,
    `SELECT order_id, to_char(day, 'YYYY-MM-DD') AS day, cancelled FROM ${postgresReadTarget(SALES_REPORT, 'orders', options.generation)} ORDER BY order_id COLLATE "C"`,
    [],
  );
  return rows.map((r) => ({ orderId: r.order_id, day: r.day, cancelled: r.cancelled }));
}
