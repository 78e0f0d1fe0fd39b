// The parked-key cache keeps a key parked while a reload that began before the parking runs.
import t from 'tap';
import { ParkedKeyCache, type ParkedKeysSnapshot } from '../../projectors/runtime/parkedKeyCache.ts';

/** A loader whose reads the test finishes by hand, in any order. */
function controlledLoads() {
  const pending: ((snapshot: ParkedKeysSnapshot) => void)[] = [];
  const load = () => new Promise<ParkedKeysSnapshot>((resolve) => pending.push(resolve));
  const finish = (index: number, keys: Record<string, string>) => pending[index]!({ keys: new Map(Object.entries(keys)), skipped: new Set() });
  return { load, finish, started: () => pending.length };
}

t.test('a key parked while a reload reads the table stays parked', async (t) => {
  const loads = controlledLoads();
  const cache = new ParkedKeyCache(loads.load, 60_000);
  const reloading = cache.reload();
  cache.add('order-1', '17');
  // The read began before the park was recorded: its result lacks the key.
  loads.finish(0, { 'order-9': '3' });
  await reloading;
  t.equal(cache.firstOffsetOf('order-1'), '17', 'kept, with its first offset');
  t.ok(cache.has('order-9'), "and another worker's key is learned");
});

t.test('a key unparked while a reload reads the table stays unparked', async (t) => {
  const loads = controlledLoads();
  const cache = new ParkedKeyCache(loads.load, 60_000);
  const first = cache.reload();
  loads.finish(0, { 'order-1': '17' });
  await first;
  const reloading = cache.reload();
  cache.delete('order-1');
  loads.finish(1, { 'order-1': '17' });
  await reloading;
  t.notOk(cache.has('order-1'));
});

t.test('an older reload finishing last does not replace a newer one', async (t) => {
  const loads = controlledLoads();
  const cache = new ParkedKeyCache(loads.load, 60_000);
  const older = cache.reload();
  const newer = cache.reload();
  loads.finish(1, { 'order-2': '5' });
  await newer;
  loads.finish(0, {});
  await older;
  t.ok(cache.has('order-2'));
});

t.test('changes after a reload finished are not replayed into the next one', async (t) => {
  const loads = controlledLoads();
  const cache = new ParkedKeyCache(loads.load, 60_000);
  cache.add('order-3', '1');
  const reloading = cache.reload();
  loads.finish(0, {});
  await reloading;
  t.notOk(cache.has('order-3'), 'a key the table no longer has (resolved meanwhile) is forgotten');
  t.equal(cache.size, 0);
});

t.test('reloadIfStale reads only once the TTL passed', async (t) => {
  const loads = controlledLoads();
  const cache = new ParkedKeyCache(loads.load, 60_000);
  const first = cache.reloadIfStale();
  loads.finish(0, {});
  await first;
  await cache.reloadIfStale();
  t.equal(loads.started(), 1);
});
