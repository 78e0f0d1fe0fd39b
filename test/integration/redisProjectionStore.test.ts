// The Redis store adapter against real Redis, with a projection of its own (a unique name,
// so the pointer tests never touch a real read model's pointer).
import t from 'tap';
import type { ProjectionEvent } from '../../projectors/projection.ts';
import { liveGeneration } from '../../projectors/stores/redisKeys.ts';
import { defineRedisProjection } from '../../projectors/stores/redisStore.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { redisProjectionHarness } from '../support/redisProjectionHarness.ts';
import { uniqueName } from '../support/stack.ts';

const harness = await redisProjectionHarness(t);
const { redis } = harness;
const name = uniqueName('test-projection');

const projection = defineRedisProjection({
  name,
  version: 1,
  handlers: {
    ProductCreated: ({ event: e }) => [
      { op: 'hsetIfNewer', key: `product:${e.sku}`, version: e.aggregateVersion, fields: { name: e.name, brand: e.brand } },
      { op: 'hmergeJsonIfNewer', key: 'catalog', field: e.sku, version: e.aggregateVersion, patch: { name: e.name, priceCents: e.priceCents, big: Number.MAX_SAFE_INTEGER, listed: true, note: null } },
    ],
    ProductUpdated: ({ event: e }) => [
      { op: 'hsetIfNewer', key: `product:${e.sku}`, version: e.aggregateVersion, fields: { name: e.name, brand: e.description === 'unbranded' ? null : e.brand } },
      { op: 'hmergeJsonIfNewer', key: 'catalog', field: e.sku, version: e.aggregateVersion, patch: { priceCents: e.priceCents } },
    ],
    InventoryAdjusted: ({ event: e }) => {
      if (e.reason === 'explode') throw new Error('the handler failed');
      return [{ op: 'hsetIfNewer', key: `stock:${e.sku}`, version: e.reason === 'bad-version' ? 0 : e.aggregateVersion, fields: { available: String(e.available) } }];
    },
  },
});

let nextOffset = 0;
function at<T extends ProjectionEvent['type']>(type: T, event: Extract<ProjectionEvent, { type: T }>['event'], partition = 0): ProjectionEvent {
  return { type, event, topic: 'events.product', partition, offset: String(nextOffset++), key: event.aggregateId } as ProjectionEvent;
}

const batch = (events: ProjectionEvent[], lastOffset = events[events.length - 1]?.offset ?? '0', partition = 0) => ({ topic: 'events.product', partition, events, lastOffset });

t.test('the handlers give the event types, and unhandled types give no ops', async (t) => {
  t.same([...projection.eventTypes].sort(), ['InventoryAdjusted', 'ProductCreated', 'ProductUpdated']);
  t.same(projection.opsFor(at('OrderPlaced', exampleEvents.OrderPlaced)), []);
});

t.test('init points the pointer at the first generation only; truncate drops it only if it names its generation', async (t) => {
  const first = harness.freshStore(projection);
  const second = harness.freshStore(projection);
  t.equal(await liveGeneration(redis, name), undefined);
  await first.store.init();
  await second.store.init();
  await first.store.init();
  t.equal(await liveGeneration(redis, name), first.generation);
  await second.store.truncate();
  t.equal(await liveGeneration(redis, name), first.generation, "another generation's truncate leaves the pointer");
  await first.store.truncate();
  t.equal(await liveGeneration(redis, name), undefined);
  await second.store.init();
  t.equal(await liveGeneration(redis, name), second.generation);
});

t.test('checkpoints: recorded per partition, advanced by an empty batch, never moved backwards', async (t) => {
  const { store } = harness.freshStore(projection);
  t.same(await store.readCheckpoints('events.product'), new Map());
  await store.applyBatch(batch([at('ProductCreated', exampleEvents.ProductCreated)], '41', 3));
  await store.applyBatch(batch([], '9', 0));
  await store.applyBatch(batch([], '100', 0));
  await store.applyBatch(batch([], '99', 0));
  t.same(await store.readCheckpoints('events.product'), new Map([[3, '41'], [0, '100']]));
  t.same(await store.readCheckpoints('events.order'), new Map());
});

t.test('ops: a null field is deleted; JSON merges keep exact integers, sorted properties and older versions out', async (t) => {
  const { store, generation } = harness.freshStore(projection);
  const created = { ...exampleEvents.ProductCreated, name: 'Tea "pot" / 茶壺' };
  await store.applyBatch(batch([at('ProductCreated', created)]));
  await store.applyBatch(batch([at('ProductUpdated', { ...exampleEvents.ProductUpdated, description: 'unbranded', priceCents: 123_456_789_012_345 })]));
  const late = await store.applyBatch(batch([at('ProductCreated', created)]));
  t.match(late, { applied: 1, staleOps: 2 });
  const dump = await harness.dump(name, generation);
  t.same(dump['product:SKU-1'], { name: 'Teapot', version: '2' }, 'brand deleted by the null, name from version 2');
  t.equal(
    dump.catalog && (dump.catalog as Record<string, string>)['SKU-1'],
    '{"big":9007199254740991,"listed":true,"name":"Tea \\"pot\\" \\/ 茶壺","note":null,"priceCents":123456789012345,"version":2}',
  );
  t.same(JSON.parse((dump.catalog as Record<string, string>)['SKU-1'] ?? ''), {
    big: Number.MAX_SAFE_INTEGER, listed: true, name: 'Tea "pot" / 茶壺', note: null, priceCents: 123_456_789_012_345, version: 2,
  });
});

t.test('a handler that throws or returns a bad op fails the batch with the event named, and writes nothing', async (t) => {
  const { store, generation } = harness.freshStore(projection);
  for (const reason of ['explode', 'bad-version']) {
    const poison = at('InventoryAdjusted', { ...exampleEvents.InventoryAdjusted, reason });
    await t.rejects(store.applyBatch(batch([at('ProductCreated', exampleEvents.ProductCreated), poison])), {
      code: 'OUTFLOW_ERR_PROJECTION_HANDLER',
      retriable: false,
      details: { projection: name, topic: 'events.product', partition: 0, offset: poison.offset, key: 'SKU-1', eventType: 'InventoryAdjusted' },
    });
  }
  t.same(await harness.dump(name, generation), {});
});

t.test('values of every length and script reach Redis unchanged', async (t) => {
  const { store, generation } = harness.freshStore(projection);
  const names = ['', 'a', 'Tea "pot" / 茶壺 \u0000 end', 'é'.repeat(86), 'x'.repeat(21_846), '🎉'.repeat(40_000)];
  const events = names.map((name, i) => at('ProductCreated', { ...exampleEvents.ProductCreated, sku: `SKU-len-${i}`, aggregateId: `SKU-len-${i}`, name }));
  t.match(await store.applyBatch(batch(events)), { applied: names.length, staleOps: 0 });
  const dump = await harness.dump(name, generation);
  for (const [i, value] of names.entries()) t.equal((dump[`product:SKU-len-${i}`] as Record<string, string> | undefined)?.name, value, `${value.length} characters`);
});

t.test('a server that forgot the script gets it again', async (t) => {
  const { store } = harness.freshStore(projection);
  await harness.flushScripts();
  await store.applyBatch(batch([at('ProductCreated', exampleEvents.ProductCreated)]));
  t.equal((await store.readCheckpoints('events.product')).get(0), String(nextOffset - 1));
});

t.test('a batch of 5,000 events is one script call', async (t) => {
  const { store, generation } = harness.freshStore(projection);
  const events = Array.from({ length: 5_000 }, (_, i) => at('ProductCreated', { ...exampleEvents.ProductCreated, sku: `SKU-${i}`, aggregateId: `SKU-${i}` }));
  t.match(await store.applyBatch(batch(events)), { applied: 5_000, alreadyApplied: 0, staleOps: 0 });
  t.match(await store.applyBatch(batch(events)), { applied: 0, alreadyApplied: 5_000 });
  t.equal(Object.keys(await harness.dump(name, generation)).length, 5_000 + 2);
});

t.test("truncate deletes its generation's data and checkpoints, and nothing of a generation sharing its digits", async (t) => {
  const short = harness.freshStore(projection);
  const long = harness.freshStore(projection, short.generation * 10);
  for (const store of [short.store, long.store]) await store.applyBatch(batch([at('ProductCreated', exampleEvents.ProductCreated)]));
  await short.store.truncate();
  t.same(await harness.dump(name, short.generation), {});
  t.equal(Object.keys(await harness.dump(name, short.generation * 10)).length, 3);
});
