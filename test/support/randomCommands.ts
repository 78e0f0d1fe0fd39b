// A random (seeded: reproducible with one lane) mix of every command the command API takes: products created and
// updated, stock adjusted, orders placed by several customers, re-addressed, shipped and
// cancelled, and their payments authorized, captured and refunded (the payments service, a
// second source). Some are refused on purpose (stock runs out, an order is already shipped, a
// stale If-Match, a payment refunded before it is captured), so the pipeline must also show that
// refused commands leave no trace.

import { seededRandom } from '../../lib/seededRandom.ts';

export interface CommandReply {
  status: number;
  body: unknown;
}

/** Sends one command as the admin; `headers` may carry If-Match. */
export type SendCommand = (method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown, headers?: Record<string, string>) => Promise<CommandReply>;

export interface CommandTally {
  sent: number;
  /** Accepted commands by route kind. */
  accepted: Record<string, number>;
  /** Refused commands by HTTP status. */
  refused: Record<string, number>;
  /** Order ids with the version the last accepted command gave them. */
  orders: Map<string, number>;
  /** Order ids with the payment version the last accepted payment command gave them. */
  payments: Map<string, number>;
  skus: string[];
}

const CATEGORIES = ['kitchen', 'shoes', 'garden', 'books'];
const BRANDS = ['Outflow', 'Acme', 'Northwind'];

export class RandomCommands {
  readonly tally: CommandTally = { sent: 0, accepted: {}, refused: {}, orders: new Map(), payments: new Map(), skus: [] };
  private readonly random: () => number;
  private readonly customers: string[];

  constructor(
    private readonly send: SendCommand,
    /** payments: the share of commands that go to the payments service (default 0.15; 0 for none). */
    private readonly options: { runId: string; seed: number; customers?: number; products?: number; payments?: number },
  ) {
    this.random = seededRandom(options.seed);
    this.customers = Array.from({ length: options.customers ?? 8 }, (_, i) => `${options.runId}-customer-${i}`);
  }

  private stopped = false;

  /** Sends `count` commands (Infinity: until stop()) over `lanes` concurrent connections; resolves with the tally. */
  async run(count: number, lanes = 4): Promise<CommandTally> {
    let next = 0;
    const lane = async () => {
      while (next < count && !this.stopped) {
        next++;
        await this.one();
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return this.tally;
  }

  /** Lets the commands in flight finish and sends no more. */
  stop(): void {
    this.stopped = true;
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private address() {
    return { name: `Customer ${this.int(1, 99)}`, line1: `${this.int(1, 200)} Main St`, line2: this.random() < 0.3 ? 'Flat 2' : null, city: this.pick(['Leeds', 'York', 'Bath']), postalCode: `LS${this.int(1, 9)} 1AA`, country: 'GB' };
  }

  private async one(): Promise<void> {
    const products = this.options.products ?? 12;
    const { skus, orders } = this.tally;
    const roll = this.random();
    if (skus.length < products && (skus.length < 3 || roll < 0.3)) {
      const sku = `${this.options.runId}-sku-${skus.length}`;
      skus.push(sku);
      const body = { sku, name: `Thing ${skus.length}`, description: `A ${this.pick(['sturdy', 'light', 'red'])} thing`, category: this.pick(CATEGORIES), brand: this.pick(BRANDS), priceCents: this.int(100, 20_000), initialStock: this.int(0, 40) };
      return this.record('createProduct', await this.send('POST', '/products', body));
    }
    const orderIds = [...orders.keys()];
    if (orderIds.length > 0 && this.random() < (this.options.payments ?? 0.15)) return this.payment(this.pick(orderIds));
    if (roll < 0.08) return this.record('updateProduct', await this.send('PATCH', `/products/${this.pick(skus)}`, { priceCents: this.int(100, 20_000), name: `Thing v${this.int(2, 9)}` }));
    if (roll < 0.22) {
      // Damage may exceed the stock: refused with 422.
      const damaged = this.random() < 0.3;
      const body = damaged ? { delta: -this.int(1, 15), reason: 'damaged' } : { delta: this.int(1, 25), reason: 'restock' };
      return this.record('adjustInventory', await this.send('POST', `/inventory/${this.pick(skus)}/adjustments`, body));
    }
    if (roll < 0.62 || orderIds.length === 0) {
      const lines = new Map<string, number>();
      for (let i = this.int(1, 3); i > 0; i--) lines.set(this.pick(skus), this.int(1, 4));
      const body = { customerId: this.pick(this.customers), items: [...lines].map(([sku, quantity]) => ({ sku, quantity })), shippingAddress: this.address() };
      const reply = await this.send('POST', '/orders', body);
      if (reply.status === 201) orders.set((reply.body as { aggregateId: string }).aggregateId, 1);
      return this.record('placeOrder', reply);
    }
    const orderId = this.pick(orderIds);
    // Now and then a stale If-Match: refused with 409.
    const headers: Record<string, string> = this.random() < 0.05 ? { 'if-match': '"999"' } : {};
    const reply =
      roll < 0.72
        ? await this.send('POST', `/orders/${orderId}/cancel`, { reason: 'changed my mind' }, headers)
        : roll < 0.86
          ? await this.send('POST', `/orders/${orderId}/ship`, { carrier: this.pick(['DHL', 'UPS']), trackingNumber: `T${this.int(1000, 9999)}` }, headers)
          : await this.send('PUT', `/orders/${orderId}/shipping-address`, this.address(), headers);
    if (reply.status < 300) orders.set(orderId, (reply.body as { version: number }).version);
    return this.record(roll < 0.72 ? 'cancelOrder' : roll < 0.86 ? 'shipOrder' : 'updateShippingAddress', reply);
  }

  /** The next step of the order's payment, now and then one its state refuses (422) or a second authorization (409). */
  private async payment(orderId: string): Promise<void> {
    const version = this.tally.payments.get(orderId) ?? 0;
    const wrong = this.random() < 0.1;
    const step = wrong ? this.pick(['authorize', 'capture', 'refund'] as const) : version === 0 ? 'authorize' : version === 1 ? 'capture' : 'refund';
    const body = step === 'authorize' ? { amountCents: this.int(100, 50_000) } : step === 'refund' ? { reason: this.pick(['returned', 'damaged in transit']) } : {};
    const reply = await this.send('POST', `/payments/${orderId}/${step}`, body);
    if (reply.status < 300) this.tally.payments.set(orderId, (reply.body as { version: number }).version);
    return this.record(`${step}Payment`, reply);
  }

  private record(kind: string, reply: CommandReply): void {
    this.tally.sent++;
    if (reply.status < 300) this.tally.accepted[kind] = (this.tally.accepted[kind] ?? 0) + 1;
    else if (reply.status >= 400 && reply.status < 500) this.tally.refused[reply.status] = (this.tally.refused[reply.status] ?? 0) + 1;
    else throw new Error(`${kind} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
}
