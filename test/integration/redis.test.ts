import t from 'tap';
import { Redis } from 'ioredis';
import { config } from '../../lib/config.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

const stack = await ensureStack('redis');

const connect = () => new Redis(config().redis.url, { maxRetriesPerRequest: 1 });

t.test('a round trip', async (t) => {
  const redis = connect();
  t.teardown(() => redis.quit());
  const key = uniqueName('test:roundtrip');
  await redis.hset(key, { status: 'placed', total: '1250' });
  t.same(await redis.hgetall(key), { status: 'placed', total: '1250' });
  await redis.del(key);
});

t.test('a value written before stack down is there after stack up (AOF)', async (t) => {
  const key = uniqueName('test:durable');
  const before = connect();
  await before.set(key, 'survives restarts');
  await before.quit();

  const stopped = await stack.down({ names: ['redis'] });
  t.same(stopped, ['redis']);
  t.equal((await stack.status(['redis']))[0]?.health, 'stopped');
  await stack.up(['redis']);

  const after = connect();
  t.teardown(() => after.quit());
  t.equal(await after.get(key), 'survives restarts');
  await after.del(key);
});
