// The command mix of the load scenarios: 60% orders placed, 15% products re-priced, 10% stock
// adjusted, 10% orders cancelled, 5% orders re-addressed. Products are created first with stock
// enough for the whole run, so the mix measures accepted commands, not refusals.
import type { CommandClient } from './commandClient.ts';

export type CommandKind = 'place' | 'reprice' | 'restock' | 'cancel' | 'readdress';

export interface MixedCommand {
  kind: CommandKind;
  method: 'POST' | 'PATCH' | 'PUT';
  path: string;
  body: unknown;
  /** Expected success status. */
  expect: number;
}

const address = { name: 'Bench Customer', line1: '1 Load St', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' };

/** The kind of command `i` of the mix; one that needs an open order falls back to placing one while fewer than 10 are open. */
export function mixKind(i: number, openOrders: number): CommandKind {
  const slot = i % 20;
  if (slot < 12) return 'place';
  if (slot < 15) return 'reprice';
  if (slot < 17) return 'restock';
  if (openOrders < 10) return 'place';
  return slot < 19 ? 'cancel' : 'readdress';
}

export class CommandMix {
  readonly skus: string[];
  readonly customers: string[];
  /** Orders placed and not yet cancelled or re-addressed by the mix: the targets of later commands. */
  private readonly openOrders: string[] = [];

  constructor(private readonly runId: string, products = 50, customers = 200) {
    this.skus = Array.from({ length: products }, (_, i) => `bench-${runId}-sku-${i}`);
    this.customers = Array.from({ length: customers }, (_, i) => `bench-${runId}-customer-${i}`);
  }

  /** Creates the products (stock for millions of orders); run before the load. */
  async seed(client: CommandClient): Promise<void> {
    await Promise.all(
      this.skus.map(async (sku, i) => {
        const created = await client.send('POST', '/products', {
          sku,
          name: `Bench product ${i}`,
          description: 'created by the benchmark',
          category: ['kitchen', 'shoes', 'garden', 'books'][i % 4],
          brand: 'Outflow',
          priceCents: 500 + i,
          initialStock: 100_000_000,
        });
        if (created.status !== 201) throw new Error(`POST /products answered ${created.status}: ${JSON.stringify(created.body)}`);
      }),
    );
  }

  placeOrder(i: number): MixedCommand {
    const lines = 1 + (i % 3);
    const items = Array.from({ length: lines }, (_, l) => ({ sku: this.skus[(i * 7 + l * 13) % this.skus.length], quantity: 1 + (l % 2) }));
    return { kind: 'place', method: 'POST', path: '/orders', body: { customerId: this.customers[i % this.customers.length], items, shippingAddress: address }, expect: 201 };
  }

  next(i: number): MixedCommand {
    const kind = mixKind(i, this.openOrders.length);
    if (kind === 'place') return this.placeOrder(i);
    if (kind === 'reprice') return { kind: 'reprice', method: 'PATCH', path: `/products/${this.skus[i % this.skus.length]}`, body: { priceCents: 500 + (i % 1000) }, expect: 200 };
    if (kind === 'restock') return { kind: 'restock', method: 'POST', path: `/inventory/${this.skus[i % this.skus.length]}/adjustments`, body: { delta: 5, reason: 'restock' }, expect: 200 };
    const orderId = this.openOrders.shift()!;
    if (kind === 'cancel') return { kind: 'cancel', method: 'POST', path: `/orders/${orderId}/cancel`, body: { reason: 'benchmark' }, expect: 200 };
    return { kind: 'readdress', method: 'PUT', path: `/orders/${orderId}/shipping-address`, body: { ...address, line1: '2 Load St' }, expect: 200 };
  }

  /** Records an order placed through next(): a target for later cancel and re-address commands. */
  accepted(orderId: string): void {
    this.openOrders.push(orderId);
  }

  /** Sends command `i` of the mix; throws when it was not accepted. `onAccepted` sees each accepted command with its answer. */
  async send(client: CommandClient, i: number, onAccepted?: (command: MixedCommand, reply: { aggregateId: string; version: number }) => void): Promise<boolean> {
    const command = this.next(i);
    const reply = await client.send(command.method, command.path, command.body);
    if (reply.status !== command.expect) throw new Error(`${command.method} ${command.path} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 200)}`);
    if (command.kind === 'place') this.accepted(reply.body.aggregateId);
    onAccepted?.(command, reply.body);
    return true;
  }
}
