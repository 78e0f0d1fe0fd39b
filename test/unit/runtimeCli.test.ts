// The projector and DLQ commands refuse bad input before touching any service.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';

const cli = path.join(config().repoRoot, 'bin', 'outflow.js');
// stdin is a pipe here, never a TTY: exactly the non-interactive case.
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input: '' });

t.test('`projector run` with an unknown projection names the known ones and exits 1', async (t) => {
  const { status, stderr } = run('projector', 'run', '--projections', 'order-summary,nope');
  t.equal(status, 1);
  t.match(stderr, /unknown projection nope; known: .*order-summary.*\[OUTFLOW_ERR_UNKNOWN_PROJECTION\]/);
});

t.test('`dlq skip` without --yes and without a terminal refuses and says how to confirm', async (t) => {
  const { status, stderr } = run('dlq', 'skip', 'order-summary', '--key', 'order-1');
  t.equal(status, 1);
  t.match(stderr, /needs confirmation: re-run with --yes: outflow dlq skip order-summary --key order-1 --yes \[OUTFLOW_ERR_CONFIRMATION_REQUIRED\]/);
});

t.test('`projector run --help` documents its options', async (t) => {
  const { status, stdout } = run('projector', 'run', '--help');
  t.equal(status, 0);
  for (const option of ['--projections', '--concurrency', '--generation', '--http-port']) t.match(stdout, option);
});

t.test('`verify` refuses an unknown projection, a bad timeout and a bad generation before touching any service', async (t) => {
  const unknown = run('verify', '--projections', 'order-summary,nope');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /unknown projection nope; known: .*sales-report.*\[OUTFLOW_ERR_UNKNOWN_PROJECTION\]/);
  const badTimeout = run('verify', '--timeout', 'soon');
  t.equal(badTimeout.status, 1);
  t.match(badTimeout.stderr, /expected a duration like 90, 90s or 2m/);
  const badGeneration = run('verify', '--generation', 'live');
  t.equal(badGeneration.status, 1);
  t.match(badGeneration.stderr, /--generation <n>.*expected a positive integer/);
});
