// The readers' one-round-trip scripts against real Redis, on a projection name of this test's
// own (its pointer is nobody else's): they follow the pointer exactly as liveGeneration does,
// read an explicit generation without it, and still answer after the server forgot the scripts.
// The keys are written through the layout of the connection (one server or a cluster), and a
// pointer is set as a switch sets it: every copy of it.
import t from 'tap';
import { liveGeneration, RedisKeyLayout, redisGenerationPrefix } from '../../projectors/stores/redisKeys.ts';
import { keyAroundGeneration, readHash, readIndexPage } from '../../projectors/stores/redisLiveReads.ts';
import { randomGeneration, redisProjectionHarness } from '../support/redisProjectionHarness.ts';
import { uniqueName } from '../support/stack.ts';

const harness = await redisProjectionHarness(t);
const { redis } = harness;
const projection = uniqueName('live-reads');
const generation = randomGeneration();
const other = generation + 1;
const layout = RedisKeyLayout.of(redis, projection);
const key = (g: number, relative: string) => layout.dataKey(g, relative);
// Read together by one script, so one hash tag.
const [INDEX, VALUES] = ['{page}:index', '{page}:values'];
const setPointer = (value: string) => Promise.all(layout.allPointerKeys.map((pointer) => redis.set(pointer, value)));
const dropPointer = () => Promise.all(layout.allPointerKeys.map((pointer) => redis.del(pointer)));
t.teardown(async () => {
  await dropPointer();
  for (const k of [key(generation, 'thing'), key(other, 'thing'), key(generation, INDEX), key(generation, VALUES)]) await redis.del(k);
});

await redis.hset(key(generation, 'thing'), { name: 'live', version: '3' });
await redis.hset(key(other, 'thing'), { name: 'other', version: '1' });

t.test('the key split around the generation is the layout of redisKeys', async (t) => {
  for (const n of [1, 7, 10, 123_456_789]) {
    const { head, tail } = keyAroundGeneration('order-summary', 'order:1');
    t.equal(`${head}${n}${tail}`, `${redisGenerationPrefix('order-summary', n)}order:1`);
  }
});

t.test('a hash through the pointer: read where liveGeneration reads, nothing where it reads nothing', async (t) => {
  await dropPointer();
  t.same(await readHash(redis, projection, 'thing'), {}, 'no pointer: nothing');
  const g = String(generation);
  // Each value as liveGeneration (Number) sees it; the script must agree on every one.
  for (const value of [g, `0${g}`, ` ${g} `, `${g}.0`, `0x${generation.toString(16)}`, `${g}.5`, '0', '-1', 'abc', '', 'Infinity', String(2 ** 53)]) {
    await setPointer(value);
    const expected = (await liveGeneration(redis, projection)) === generation ? { name: 'live', version: '3' } : {};
    t.same(await readHash(redis, projection, 'thing'), expected, `pointer ${JSON.stringify(value)}`);
  }
  await setPointer(String(other));
  t.same(await readHash(redis, projection, 'thing'), { name: 'other', version: '1' }, 'a switched pointer is followed at once');
  t.same(await readHash(redis, projection, 'thing', generation), { name: 'live', version: '3' }, 'an explicit generation is read without the pointer');
  t.same(await readHash(redis, projection, 'missing'), {}, 'an absent hash: nothing');
});

t.test('an index page through the pointer, or of an explicit generation', async (t) => {
  await redis.zadd(key(generation, INDEX), 30, 'c', 20, 'b2', 20, 'b1', 20, 'b3', 10, 'a');
  await redis.hset(key(generation, VALUES), { c: 'C', b1: 'B1', b3: 'B3', a: 'A' });
  await setPointer(String(other));
  t.same(await readIndexPage(redis, projection, { indexKey: INDEX, valuesKey: VALUES, count: 2 }), { atScore: [], below: [], values: new Map() }, "the live generation's (empty) index");
  const first = await readIndexPage(redis, projection, { indexKey: INDEX, valuesKey: VALUES, count: 2, generation });
  t.same(first, { atScore: [], below: [{ member: 'c', score: 30 }, { member: 'b3', score: 20 }], values: new Map([['c', 'C'], ['b3', 'B3']]) });
  await setPointer(String(generation));
  const atCursor = await readIndexPage(redis, projection, { indexKey: INDEX, valuesKey: VALUES, count: 2, cursorScore: 20 });
  t.same(atCursor, {
    atScore: [{ member: 'b3', score: 20 }, { member: 'b2', score: 20 }, { member: 'b1', score: 20 }],
    below: [{ member: 'a', score: 10 }],
    values: new Map([['b3', 'B3'], ['b2', null], ['b1', 'B1'], ['a', 'A']]),
  }, 'every entry at the cursor score, then those below; a member without a value: null');
  await dropPointer();
  t.equal(await readIndexPage(redis, projection, { indexKey: INDEX, valuesKey: VALUES, count: 2 }), undefined, 'no pointer: no page');
});

t.test('a server that forgot the scripts (restarted, flushed) still answers', async (t) => {
  await setPointer(String(generation));
  t.same(await readHash(redis, projection, 'thing'), { name: 'live', version: '3' });
  await harness.flushScripts();
  t.same(await readHash(redis, projection, 'thing'), { name: 'live', version: '3' }, 'the hash');
  await harness.flushScripts();
  t.match(await readIndexPage(redis, projection, { indexKey: INDEX, valuesKey: VALUES, count: 1 }), { below: [{ member: 'c' }] }, 'the index page');
});

t.test('keys read together without a shared hash tag are refused, on either layout', async (t) => {
  await t.rejects(readIndexPage(redis, projection, { indexKey: 'a:index', valuesKey: 'a:values', count: 1 }), /need the same hash tag/);
  await t.resolves(readIndexPage(redis, projection, { indexKey: '{a}:index', valuesKey: '{a}:values', count: 1 }));
});
