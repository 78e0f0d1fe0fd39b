// `outflow projections` refuses bad input before touching any service, and fingerprints
// explain why a generation needs a rebuild.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { fingerprintChanges, fingerprintOf } from '../../projectors/generations/projectionFingerprint.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';

const cli = path.join(config().repoRoot, 'bin', 'outflow.js');
// stdin is a pipe here, never a TTY: exactly the non-interactive case.
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input: '' });

t.test('`projections --help` lists list, status, rebuild, switch and drop', async (t) => {
  const { status, stdout } = run('projections', '--help');
  t.equal(status, 0);
  for (const command of ['list', 'status', 'rebuild', 'switch', 'drop']) t.match(stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
});

t.test('`projections rebuild --help` documents its options', async (t) => {
  const { status, stdout } = run('projections', 'rebuild', '--help');
  t.equal(status, 0);
  for (const option of ['--parallel', '--switch', '--from-scratch', '--json', '--concurrency']) t.match(stdout, option);
});

t.test('an unknown projection names the known ones and exits 1', async (t) => {
  for (const args of [['rebuild', 'nope'], ['status', 'nope'], ['switch', 'nope'], ['drop', 'nope', '2', '--yes']]) {
    const { status, stderr } = run('projections', ...args);
    t.equal(status, 1, args.join(' '));
    t.match(stderr, /unknown projection nope; known: order-summary, customer-orders, product-search, sales-report \[OUTFLOW_ERR_UNKNOWN_PROJECTION\]/);
  }
});

t.test('bad option values are refused by name', async (t) => {
  const cases: [string[], RegExp][] = [
    [['rebuild', 'order-summary', '--parallel', '0'], /option '--parallel <n>' argument '0' is invalid\. expected a positive integer/],
    [['rebuild', 'order-summary', '--switch', 'sideways'], /option '--switch <mode>' argument 'sideways' is invalid\. expected auto or manual/],
    [['switch', 'order-summary', '--to', 'two'], /option '--to <generation>' argument 'two' is invalid/],
    [['drop', 'order-summary', 'latest'], /value 'latest' is invalid for argument 'generation'\. expected a positive integer/],
    [['drop', 'order-summary'], /missing required argument 'generation'/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = run('projections', ...args);
    t.not(status, 0, args.join(' '));
    t.match(stderr, message);
  }
});

t.test('`drop` without --yes and without a terminal refuses and says how to confirm', async (t) => {
  const { status, stderr } = run('projections', 'drop', 'order-summary', '1');
  t.equal(status, 1);
  t.match(stderr, /dropping generation 1 of order-summary needs confirmation: re-run with --yes: outflow projections drop order-summary 1 --yes \[OUTFLOW_ERR_CONFIRMATION_REQUIRED\]/);
});

t.test('a fingerprint names what changed: code version, event types, schemas', async (t) => {
  const running = fingerprintOf(orderSummaryProjection);
  t.equal(running.codeVersion, 2);
  t.same(running.eventTypes, ['OrderCancelled', 'OrderPlaced', 'OrderShipped', 'PaymentAuthorized', 'PaymentCaptured', 'PaymentRefunded', 'ShippingAddressUpdated']);
  t.same(running.topics, ['events.order', 'events.payment']);
  t.match(running.schemas.OrderPlaced, /^[0-9a-f]{64}$/);
  t.same(fingerprintChanges(running, running), []);
  const recorded = { ...running, codeVersion: 1, eventTypes: ['OrderPlaced', 'OrderShipped', 'OrderCancelled', 'ShippingAddressUpdated'], topics: ['events.order'], schemas: { ...running.schemas, OrderPlaced: 'an older schema' } };
  t.same(fingerprintChanges(recorded, running), [
    'code version 1 → 2',
    'now also reads PaymentAuthorized, PaymentCaptured, PaymentRefunded',
    'schema of OrderPlaced changed',
    'topics events.order → events.order, events.payment',
  ]);
  t.same(fingerprintChanges(null, running), ['the generation has no recorded fingerprint']);
});
