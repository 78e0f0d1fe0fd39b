import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';
import type { ComponentStatus } from '../../infra/local/localStack.ts';
import { readPid } from '../../infra/local/processControl.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { ensureStack } from '../support/stack.ts';

const stack = await ensureStack();
const cli = path.join(config().repoRoot, 'bin', 'outflow.js');

function stackStatus() {
  const result = spawnSync(process.execPath, [cli, 'stack', 'status', '--json'], { encoding: 'utf8' });
  return { code: result.status, statuses: JSON.parse(result.stdout) as ComponentStatus[], stderr: result.stderr };
}

t.test('`stack status` reports every component healthy after `up`', async (t) => {
  const { code, statuses } = stackStatus();
  t.equal(code, 0);
  const infrastructure = stack.components.map((c) => c.name);
  t.same(
    statuses.filter((s) => infrastructure.includes(s.name)).map((s) => [s.name, s.health]),
    infrastructure.map((name) => [name, 'healthy']),
  );
  t.ok(statuses.every((s) => s.health === 'healthy'), 'services that were started are healthy too');
  for (const s of statuses) t.ok(s.pid, `${s.name} has a pid`);
});

t.test('`stack status` names a killed component and exits non-zero; `up` brings it back', async (t) => {
  const redis = stack.components.find((c) => c.name === 'redis');
  const pid = redis && readPid(redis.pidFile);
  if (!pid) throw new Error('redis has no pid file');
  process.kill(pid, 'SIGKILL');
  await pollUntil('redis to exit', async () => (stackStatus().code === 1 ? true : undefined), { timeoutMs: 10_000 });

  const { code, statuses, stderr } = stackStatus();
  t.equal(code, 1);
  t.equal(statuses.find((s) => s.name === 'redis')?.health, 'stopped');
  // Services another test left running read Redis, so they rightly report it; the rest of the infrastructure must not.
  const otherInfrastructure = stack.components.map((c) => c.name).filter((name) => name !== 'redis');
  t.same(
    statuses.filter((s) => otherInfrastructure.includes(s.name)).map((s) => [s.name, s.health]),
    otherInfrastructure.map((name) => [name, 'healthy']),
    'the other infrastructure components stay healthy',
  );
  t.match(stderr, /not healthy: redis \(stopped\)/);

  const { started } = await stack.up();
  t.same(started, ['redis'], 'up restarts only what is down');
  t.equal(stackStatus().code, 0);
});
