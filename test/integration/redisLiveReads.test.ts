// The readers' one-round-trip scripts against real Redis, on a projection name of this test's
// own (its pointer is nobody else's): they follow the pointer exactly as liveGeneration does,
// read an explicit generation without it, and still answer after the server forgot the scripts.
import t from 'tap';
import { liveGeneration, redisGenerationPrefix, redisLivePointerKey } from '../../projectors/stores/redisKeys.ts';
import { keyAroundGeneration, readHash, readIndexPage } from '../../projectors/stores/redisLiveReads.ts';
import { randomGeneration, redisProjectionHarness } from '../support/redisProjectionHarness.ts';
import { uniqueName } from '../support/stack.ts';

const { redis } = await redisProjectionHarness(t);
const projection = uniqueName('live-reads');
const generation = randomGeneration();
const other = generation + 1;
const prefix = (g: number) => redisGenerationPrefix(projection, g);
const pointer = redisLivePointerKey(projection);
t.teardown(async () => {
  await redis.del(pointer, `${prefix(generation)}thing`, `${prefix(other)}thing`, `${prefix(generation)}index`, `${prefix(generation)}values`);
});

await redis.hset(`${prefix(generation)}thing`, { name: 'live', version: '3' });
await redis.hset(`${prefix(other)}thing`, { name: 'other', version: '1' });

t.test('the key split around the generation is the layout of redisKeys', async (t) => {
  for (const n of [1, 7, 10, 123_456_789]) {
    const { head, tail } = keyAroundGeneration('order-summary', 'order:1');
    t.equal(`${head}${n}${tail}`, `${redisGenerationPrefix('order-summary', n)}order:1`);
  }
});

t.test('a hash through the pointer: read where liveGeneration reads, nothing where it reads nothing', async (t) => {
  await redis.del(pointer);
  t.same(await readHash(redis, projection, 'thing'), {}, 'no pointer: nothing');
  const g = String(generation);
  // Each value as liveGeneration (Number) sees it; the script must agree on every one.
  for (const value of [g, `0${g}`, ` ${g} `, `${g}.0`, `0x${generation.toString(16)}`, `${g}.5`, '0', '-1', 'abc', '', 'Infinity', String(2 ** 53)]) {
    await redis.set(pointer, value);
    const expected = (await liveGeneration(redis, projection)) === generation ? { name: 'live', version: '3' } : {};
    t.same(await readHash(redis, projection, 'thing'), expected, `pointer ${JSON.stringify(value)}`);
  }
  await redis.set(pointer, String(other));
  t.same(await readHash(redis, projection, 'thing'), { name: 'other', version: '1' }, 'a switched pointer is followed at once');
  t.same(await readHash(redis, projection, 'thing', generation), { name: 'live', version: '3' }, 'an explicit generation is read without the pointer');
  t.same(await readHash(redis, projection, 'missing'), {}, 'an absent hash: nothing');
});

t.test('an index page through the pointer, or of an explicit generation', async (t) => {
  await redis.zadd(`${prefix(generation)}index`, 30, 'c', 20, 'b2', 20, 'b1', 20, 'b3', 10, 'a');
  await redis.hset(`${prefix(generation)}values`, { c: 'C', b1: 'B1', b3: 'B3', a: 'A' });
  await redis.set(pointer, String(other));
  t.same(await readIndexPage(redis, projection, { indexKey: 'index', valuesKey: 'values', count: 2 }), { atScore: [], below: [], values: new Map() }, "the live generation's (empty) index");
  const first = await readIndexPage(redis, projection, { indexKey: 'index', valuesKey: 'values', count: 2, generation });
  t.same(first, { atScore: [], below: [{ member: 'c', score: 30 }, { member: 'b3', score: 20 }], values: new Map([['c', 'C'], ['b3', 'B3']]) });
  await redis.set(pointer, String(generation));
  const atCursor = await readIndexPage(redis, projection, { indexKey: 'index', valuesKey: 'values', count: 2, cursorScore: 20 });
  t.same(atCursor, {
    atScore: [{ member: 'b3', score: 20 }, { member: 'b2', score: 20 }, { member: 'b1', score: 20 }],
    below: [{ member: 'a', score: 10 }],
    values: new Map([['b3', 'B3'], ['b2', null], ['b1', 'B1'], ['a', 'A']]),
  }, 'every entry at the cursor score, then those below; a member without a value: null');
  await redis.del(pointer);
  t.equal(await readIndexPage(redis, projection, { indexKey: 'index', valuesKey: 'values', count: 2 }), undefined, 'no pointer: no page');
});

t.test('a server that forgot the scripts (restarted, flushed) still answers', async (t) => {
  await redis.set(pointer, String(generation));
  t.same(await readHash(redis, projection, 'thing'), { name: 'live', version: '3' });
  await redis.script('FLUSH');
  t.same(await readHash(redis, projection, 'thing'), { name: 'live', version: '3' }, 'the hash');
  await redis.script('FLUSH');
  t.match(await readIndexPage(redis, projection, { indexKey: 'index', valuesKey: 'values', count: 1 }), { below: [{ member: 'c' }] }, 'the index page');
});
