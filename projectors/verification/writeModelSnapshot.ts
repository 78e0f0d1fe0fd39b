// What the read models should say, computed from the write model. `outflow verify`
// is an operator's tool: it is the one reader of the write tables outside the command
// API, and it reads them in one REPEATABLE READ snapshot so the expectations agree.
import type pg from 'pg';
import type { EventBody } from '../../schemas/eventEnvelope.ts';
import type { OrderLine } from '../../schemas/generated/eventTypes.ts';
import type { OrderState } from '../../schemas/orderState.ts';
import type { PaymentState } from '../../schemas/paymentState.ts';

export interface ExpectedOrder extends OrderState {
  placedAt: number;
  version: number;
  /** From the payments service's database (a source of its own); null when it has none. */
  payment: PaymentState | null;
}

/** A product's catalog row joined with its stock row: two aggregates, each with its own version. */
export interface ExpectedProduct extends EventBody<'ProductCreated'>, Pick<EventBody<'InventoryAdjusted'>, 'available'> {
  productVersion: number;
  inventoryVersion: number;
}

export interface ExpectedSalesRow {
  day: string;
  category: string;
  revenueCents: number;
  units: number;
  /** Orders not cancelled with lines of the category that day. */
  orders: number;
}

export interface WriteModelSnapshot {
  orders: Map<string, ExpectedOrder>;
  /** Per customer, order ids newest first (placedAt desc, order id desc on ties). */
  customerOrders: Map<string, string[]>;
  products: Map<string, ExpectedProduct>;
  /** Revenue and units of orders not cancelled, per UTC day of placement and category. */
  sales: ExpectedSalesRow[];
}

/** Each order's payment, read in one snapshot of the payments service's database. */
export async function readPayments(client: pg.Client): Promise<Map<string, PaymentState>> {
  const { rows } = await client.query<{ order_id: string; status: PaymentState['status']; amount_cents: string; refund_reason: string | null; version: string }>(
    'SELECT order_id, status, amount_cents, refund_reason, version FROM payments.payments',
  );
  return new Map(rows.map((r) => [r.order_id, { status: r.status, amountCents: Number(r.amount_cents), refundReason: r.refund_reason, version: Number(r.version) }]));
}

/** The snapshot with each order's payment filled in from the payments service's snapshot. */
export function withPayments(snapshot: WriteModelSnapshot, payments: ReadonlyMap<string, PaymentState>): WriteModelSnapshot {
  for (const order of snapshot.orders.values()) order.payment = payments.get(order.orderId) ?? null;
  return snapshot;
}

export async function readWriteModel(client: pg.Client): Promise<WriteModelSnapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const orderRows = await client.query(
      `SELECT o.order_id, o.customer_id, o.status, o.total_cents, o.shipping_address, o.cancel_reason, o.carrier,
              o.tracking_number, o.version, (extract(epoch FROM o.placed_at) * 1000)::bigint AS placed_at_ms,
              coalesce(json_agg(json_build_object('sku', i.sku, 'name', i.name, 'category', i.category, 'quantity', i.quantity,
                'unitPriceCents', i.unit_price_cents, 'lineTotalCents', i.line_total_cents) ORDER BY i.line_no)
                FILTER (WHERE i.order_id IS NOT NULL), '[]') AS items
         FROM write.orders o LEFT JOIN write.order_items i ON i.order_id = o.order_id
        GROUP BY o.order_id`,
    );
    const orders = new Map<string, ExpectedOrder>();
    for (const r of orderRows.rows) {
      orders.set(r.order_id, {
        orderId: r.order_id,
        customerId: r.customer_id,
        status: r.status,
        totalCents: Number(r.total_cents),
        items: r.items.map((i: OrderLine) => ({ ...i, unitPriceCents: Number(i.unitPriceCents), lineTotalCents: Number(i.lineTotalCents) })),
        shippingAddress: r.shipping_address,
        cancelReason: r.cancel_reason,
        carrier: r.carrier,
        trackingNumber: r.tracking_number,
        placedAt: Number(r.placed_at_ms),
        version: Number(r.version),
        payment: null,
      });
    }
    const customerOrders = new Map<string, string[]>();
    for (const order of [...orders.values()].sort((a, b) => b.placedAt - a.placedAt || (b.orderId < a.orderId ? -1 : 1))) {
      const list = customerOrders.get(order.customerId) ?? [];
      list.push(order.orderId);
      customerOrders.set(order.customerId, list);
    }

    const productRows = await client.query(
      `SELECT p.sku, p.name, p.description, p.category, p.brand, p.price_cents, p.version, i.available, i.version AS inventory_version
         FROM write.products p JOIN write.inventory i ON i.sku = p.sku`,
    );
    const products = new Map<string, ExpectedProduct>(
      productRows.rows.map((r) => [
        r.sku,
        {
          sku: r.sku, name: r.name, description: r.description, category: r.category, brand: r.brand,
          priceCents: Number(r.price_cents), available: r.available, productVersion: Number(r.version), inventoryVersion: Number(r.inventory_version),
        },
      ]),
    );

    const salesRows = await client.query(
      `SELECT to_char(o.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, i.category,
              sum(i.line_total_cents)::bigint AS revenue, sum(i.quantity)::bigint AS units,
              count(DISTINCT o.order_id)::bigint AS orders
         FROM write.orders o JOIN write.order_items i ON i.order_id = o.order_id
        WHERE o.status <> 'cancelled'
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const sales = salesRows.rows.map((r) => ({ day: r.day, category: r.category, revenueCents: Number(r.revenue), units: Number(r.units), orders: Number(r.orders) }));
    return { orders, customerOrders, products, sales };
  } finally {
    await client.query('COMMIT');
  }
}
