// Orders and their lines in the write model.
import type pg from 'pg';
import type { OrderLine, ShippingAddress } from '../../schemas/generated/eventTypes.ts';
import type { OrderStatus } from '../../schemas/orderState.ts';
import type { Order } from '../domain/order.ts';
import type { Read } from './read.ts';
import { preparedQuery, type WriteStatement } from './writeStatement.ts';

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

// The columns named like OrderLine's fields hold them as they are; node-pg returns bigint columns as strings.
type LineRow = Pick<OrderLine, 'sku' | 'name' | 'category' | 'quantity'> & { unit_price_cents: string; line_total_cents: string };

/** The order, locked for the rest of the transaction, and its lines (which never change). */
export function orderForUpdate(orderId: string): Read<Order | undefined> {
  return {
    queries: [
      preparedQuery(
        `SELECT order_id, customer_id, status, total_cents, shipping_address, cancel_reason, carrier, tracking_number, version
         FROM write.orders WHERE order_id = $1 FOR UPDATE`,
        [orderId],
      ),
      preparedQuery(
        'SELECT sku, name, category, quantity, unit_price_cents, line_total_cents FROM write.order_items WHERE order_id = $1 ORDER BY line_no',
        [orderId],
      ),
    ],
    parse: ([orderResult, linesResult]) => {
      const row = (orderResult as pg.QueryResult<OrderRow>).rows[0];
      if (!row) return undefined;
      return {
        orderId: row.order_id,
        customerId: row.customer_id,
        status: row.status,
        items: (linesResult as pg.QueryResult<LineRow>).rows.map((l): OrderLine => ({
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
    },
  };
}

/** The order and its lines; the lines are inserted after the order they reference. */
export function insertOrder(statement: WriteStatement, order: Order, now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  const orderId = v(order.orderId, 'text');
  const at = v(now, 'timestamptz');
  statement.insert(
    'order_row',
    `INSERT INTO write.orders (order_id, customer_id, status, total_cents, shipping_address, version, placed_at, updated_at)
     VALUES (${orderId}, ${v(order.customerId, 'text')}, ${v(order.status, 'text')}, ${v(order.totalCents, 'bigint')},
       ${v(JSON.stringify(order.shippingAddress), 'jsonb')}, ${v(order.version, 'bigint')}, ${at}, ${at})
     RETURNING 1`,
  );
  const items = order.items;
  statement.insert(
    'order_lines',
    `INSERT INTO write.order_items (order_id, line_no, sku, name, category, quantity, unit_price_cents, line_total_cents)
     SELECT ${orderId}, u.line_no, u.sku, u.name, u.category, u.quantity, u.unit_price, u.line_total
     FROM (SELECT count(*) FROM order_row) AS after_order,
       unnest(${v(items.map((_, i) => i + 1), 'int[]')}, ${v(items.map((l) => l.sku), 'text[]')}, ${v(items.map((l) => l.name), 'text[]')},
         ${v(items.map((l) => l.category), 'text[]')}, ${v(items.map((l) => l.quantity), 'int[]')},
         ${v(items.map((l) => l.unitPriceCents), 'bigint[]')}, ${v(items.map((l) => l.lineTotalCents), 'bigint[]')})
       AS u(line_no, sku, name, category, quantity, unit_price, line_total)
     RETURNING 1`,
  );
}

/** The order changes only from the version before the one written (the version the decision read). */
export function updateOrder(statement: WriteStatement, order: Order, now: Date): void {
  const v = (value: unknown, type?: string) => statement.param(value, type);
  statement.update(
    'order_row',
    `UPDATE write.orders SET status = ${v(order.status, 'text')}, shipping_address = ${v(JSON.stringify(order.shippingAddress), 'jsonb')},
       cancel_reason = ${v(order.cancelReason, 'text')}, carrier = ${v(order.carrier, 'text')}, tracking_number = ${v(order.trackingNumber, 'text')},
       version = ${v(order.version, 'bigint')}, updated_at = ${v(now, 'timestamptz')}
     WHERE order_id = ${v(order.orderId, 'text')} AND version = ${v(order.version - 1, 'bigint')}
     RETURNING 1`,
    1,
  );
}
