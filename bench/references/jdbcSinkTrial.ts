// One JDBC sink reference run on order-like rows, outside the harness: to see its figures and
// to check that the reference works against a stack.
//   node --import tsx bench/references/jdbcSinkTrial.ts [events=100000] [batchSize=2000] [tasks=1]
// Three events per order (placed, paid, shipped: versions 1 to 3), so two of every three are
// upserts of an existing row. Orders go in windows of 1,000, each window's placements, then its
// payments, then its shipments: a key comes back within a few thousand records, as in a live
// stream, so one sink batch often holds several versions of a row. Prints the measurement as JSON.
// Ctrl-C stops the run and still removes its connector, topic and table.
import crypto from 'node:crypto';
import { config } from '../../lib/config.ts';
import type { JdbcSinkField, JdbcSinkRow } from './connectJsonRecords.ts';
import { measureJdbcSink } from './jdbcSinkReference.ts';

const events = Number(process.argv[2] ?? 100_000);
const batchSize = Number(process.argv[3] ?? 2000);
const tasks = Number(process.argv[4] ?? 1);

const fields: JdbcSinkField[] = [
  { name: 'order_id', type: 'string' },
  { name: 'customer_id', type: 'string' },
  { name: 'status', type: 'string' },
  { name: 'total_cents', type: 'int64' },
  { name: 'item_count', type: 'int32' },
  { name: 'placed_at', type: 'int64' },
  { name: 'version', type: 'int32' },
];

const STATUSES = ['placed', 'paid', 'shipped'] as const;
const WINDOW = 1000;
const YIELD_EVERY = 5000;

function orderRow(order: number, version: number, placedAt: number): JdbcSinkRow {
  const orderId = `order-${order}`;
  return {
    key: orderId,
    value: {
      order_id: orderId,
      customer_id: `customer-${order % 997}`,
      status: STATUSES[version - 1] ?? 'shipped',
      total_cents: 1000 + ((order * 7919) % 250_000),
      item_count: 1 + (order % 9),
      placed_at: placedAt + order,
      version,
    },
  };
}

function* orderEvents(total: number): Generator<JdbcSinkRow[]> {
  const orders = Math.ceil(total / STATUSES.length);
  const placedAt = Date.now();
  let emitted = 0;
  let batch: JdbcSinkRow[] = [];
  for (let start = 0; start < orders && emitted < total; start += WINDOW) {
    const end = Math.min(orders, start + WINDOW);
    for (let version = 1; version <= STATUSES.length; version++) {
      for (let order = start; order < end && emitted < total; order++) {
        batch.push(orderRow(order, version, placedAt));
        emitted++;
        if (batch.length >= YIELD_EVERY) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length) yield batch;
}

if (![events, batchSize, tasks].every((n) => Number.isSafeInteger(n) && n > 0)) {
  console.error('usage: node --import tsx bench/references/jdbcSinkTrial.ts [events=100000] [batchSize=2000] [tasks=1]');
  process.exit(2);
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
const log = (line: string) => console.error(line);
let lastProgress = 0;

try {
  const measurement = await measureJdbcSink({
    config: config(),
    runId: `trial-${crypto.randomBytes(3).toString('hex')}`,
    rows: orderEvents(events),
    fields,
    tasks,
    batchSize,
    log,
    signal: abort.signal,
    onProgress: (done, total) => {
      // One line every ten seconds or so is enough off a terminal.
      if (Date.now() - lastProgress < 10_000) return;
      lastProgress = Date.now();
      log(`committed ${done} of ${total}`);
    },
  });
  console.log(JSON.stringify(measurement, null, 2));
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
}
