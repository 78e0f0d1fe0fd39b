// Orders and their lines in the write model.
import type pg from 'pg';
import type { Order, OrderLine, OrderStatus, ShippingAddress } from '../domain/order.ts';

interface OrderRow {
  order_id: string;
  customer_id: string;
  status: OrderStatus;
  total_cents: string;
  shipping_address: ShippingAddress;
  cancel_reason: string | null;
  carrier: string | null;
  tracking_number: string | null;
  version: string;
}

interface LineRow {
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unit_price_cents: string;
  line_total_cents: string;
}

export async function findOrderForUpdate(tx: pg.ClientBase, orderId: string): Promise<Order | undefined> {
  const { rows } = await tx.query<OrderRow>('SELECT * FROM write.orders WHERE order_id = $1 FOR UPDATE', [orderId]);
  const row = rows[0];
  if (!row) return undefined;
  const lines = await tx.query<LineRow>(
    'SELECT sku, name, category, quantity, unit_price_cents, line_total_cents FROM write.order_items WHERE order_id = $1 ORDER BY line_no',
    [orderId],
  );
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    items: lines.rows.map((l): OrderLine => ({
      sku: l.sku, name: l.name, category: l.category, quantity: l.quantity,
      unitPriceCents: Number(l.unit_price_cents), lineTotalCents: Number(l.line_total_cents),
    })),
    totalCents: Number(row.total_cents),
    shippingAddress: row.shipping_address,
    cancelReason: row.cancel_reason,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    version: Number(row.version),
  };
}

export async function insertOrder(tx: pg.ClientBase, order: Order, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO write.orders (order_id, customer_id, status, total_cents, shipping_address, version, placed_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
    [order.orderId, order.customerId, order.status, order.totalCents, JSON.stringify(order.shippingAddress), order.version, now],
  );
  const items = order.items;
  await tx.query(
    `INSERT INTO write.order_items (order_id, line_no, sku, name, category, quantity, unit_price_cents, line_total_cents)
     SELECT $1, u.line_no, u.sku, u.name, u.category, u.quantity, u.unit_price, u.line_total
     FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[])
       AS u(line_no, sku, name, category, quantity, unit_price, line_total)`,
    [
      order.orderId,
      items.map((_, i) => i + 1),
      items.map((l) => l.sku),
      items.map((l) => l.name),
      items.map((l) => l.category),
      items.map((l) => l.quantity),
      items.map((l) => l.unitPriceCents),
      items.map((l) => l.lineTotalCents),
    ],
  );
}

export async function updateOrderRow(tx: pg.ClientBase, order: Order, now: Date): Promise<void> {
  await tx.query(
    `UPDATE write.orders SET status = $2, shipping_address = $3, cancel_reason = $4, carrier = $5, tracking_number = $6,
       version = $7, updated_at = $8 WHERE order_id = $1`,
    [order.orderId, order.status, JSON.stringify(order.shippingAddress), order.cancelReason, order.carrier, order.trackingNumber, order.version, now],
  );
}
