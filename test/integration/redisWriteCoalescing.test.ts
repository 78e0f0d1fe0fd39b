// A Redis connection that groups the socket writes of each event-loop turn (the query API's):
// commands issued in one turn leave in one write, each still gets its own reply or error, and
// commands of separate turns are not held back.
import type { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { coalesceWritesPerTurn } from '../../lib/redisWriteCoalescing.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

await ensureStack('redis');

/** A connected, coalescing connection and a count of the writes its socket made. */
async function counted(): Promise<{ redis: Redis; writes: () => number }> {
  const redis = coalesceWritesPerTurn(new Redis(config().redis.url, { maxRetriesPerRequest: 1 }));
  await redis.ping();
  const socket = (redis as unknown as { stream: Writable & { _write: Function; _writev?: Function } }).stream;
  let writes = 0;
  const write = socket._write.bind(socket);
  socket._write = (...args: unknown[]) => ((writes += 1), write(...args));
  if (socket._writev) {
    const writev = socket._writev.bind(socket);
    socket._writev = (...args: unknown[]) => ((writes += 1), writev(...args));
  }
  return { redis, writes: () => writes };
}

t.test('twenty commands issued in one turn leave in one socket write, each with its own reply', async (t) => {
  const { redis, writes } = await counted();
  t.teardown(() => redis.quit());
  const keys = Array.from({ length: 20 }, (_, i) => uniqueName(`test:coalesce:${i}`));
  await Promise.all(keys.map((key, i) => redis.set(key, String(i))));
  const before = writes();
  const values = await Promise.all(keys.map((key) => redis.get(key)));
  t.equal(writes() - before, 1, 'one write for the turn');
  t.same(values, keys.map((_, i) => String(i)), 'every command its own reply');
  await redis.del(...keys);
});

t.test('a failing command fails alone in its group', async (t) => {
  const { redis } = await counted();
  t.teardown(() => redis.quit());
  const hash = uniqueName('test:coalesce:hash');
  await redis.hset(hash, { a: '1' });
  const [wrongType, ok] = await Promise.allSettled([redis.get(hash), redis.hget(hash, 'a')]);
  t.match(wrongType, { status: 'rejected', reason: { message: /WRONGTYPE/ } });
  t.same(ok, { status: 'fulfilled', value: '1' });
  await redis.del(hash);
});

t.test('commands of separate turns each leave in their turn', async (t) => {
  const { redis, writes } = await counted();
  t.teardown(() => redis.quit());
  const before = writes();
  for (let i = 0; i < 5; i++) t.equal(await redis.ping(), 'PONG');
  t.equal(writes() - before, 5, 'five turns, five writes: nothing waits for a later turn');
});
