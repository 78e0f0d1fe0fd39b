import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';

const cli = path.join(config().repoRoot, 'bin', 'outflow.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

t.test('`outflow --help` lists the subcommands', async (t) => {
  const { status, stdout } = run('--help');
  t.equal(status, 0);
  for (const command of ['stack', 'start', 'test']) t.match(stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
});

t.test('an unknown stack component is refused with the choices and a non-zero exit', async (t) => {
  const { status, stderr } = run('stack', 'logs', 'mongodb');
  t.equal(status, 1);
  t.match(stderr, /mongodb: unknown component; choose from postgres, postgres-read, redis, kafka/);
});

t.test('an invalid configuration value names the variable and exits non-zero', async (t) => {
  const result = spawnSync(process.execPath, [cli, 'stack', 'status'], {
    encoding: 'utf8',
    env: { ...process.env, OUTFLOW_REDIS_PORT: 'seventy' },
  });
  t.equal(result.status, 1);
  t.match(result.stderr, /OUTFLOW_REDIS_PORT="seventy" is invalid/);
});

t.test('an unknown command exits non-zero with help', async (t) => {
  const { status, stderr } = run('frobnicate');
  t.not(status, 0);
  t.match(stderr, /unknown command 'frobnicate'/);
});

t.test('`outflow bench capacity` sizes from the published run, and refuses a bad target or results without its figures', async (t) => {
  const plan = run('bench', 'capacity', '--writes', '2000', '--reads', '200000', '--json');
  t.equal(plan.status, 0, plan.stderr);
  t.same(JSON.parse(plan.stdout).target, { writesPerSecond: 2000, readsPerSecond: 200000 });
  const badTarget = run('bench', 'capacity', '--writes', 'lots');
  t.not(badTarget.status, 0);
  t.match(badTarget.stderr, /option '--writes <n>' argument 'lots' is invalid/);
  const noResults = run('bench', 'capacity', '--results', 'test/unit');
  t.equal(noResults.status, 1);
  t.match(noResults.stderr, /the capacity plan needs ours\.\S+ of the projector-throughput scenario.*\[OUTFLOW_ERR_CAPACITY_INPUT_MISSING\]/);
});
