// The bench runs each read model's own code under a private name: every registered read model must
// be one the bench knows how to rename, and the copy must write and point under the new name only.
import t from 'tap';
import { benchProjection, storeKindOf } from '../../bench/history/benchProjections.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { allProjections } from '../../read-models/registry.ts';

t.test('every registered read model has a store adapter the bench can rename', async (t) => {
  for (const projection of allProjections) t.doesNotThrow(() => storeKindOf(projection), projection.name);
  t.same(
    Object.fromEntries(allProjections.map((p) => [p.name, storeKindOf(p)])),
    { 'order-summary': 'redis', 'customer-orders': 'redis', 'product-search': 'elasticsearch', 'sales-report': 'postgres' },
  );
});

t.test("a bench copy keeps the code, takes the history's topics and a name of its own", async (t) => {
  for (const original of allProjections) {
    const topicMap = Object.fromEntries(topicsOf(original).map((topic) => [topic, `bench-copy.${topic}`]));
    const copy = benchProjection(original.name, '42', topicMap);
    t.equal(copy.name, `b42-${original.name}`);
    t.same(topicsOf(copy), topicsOf(original).map((topic) => `bench-copy.${topic}`));
    t.same(copy.eventTypes, original.eventTypes);
    t.equal(copy.version, original.version);
    t.not(copy.createStore, original.createStore, `${original.name}: the copy makes stores of its own`);
    t.not(copy.liveGeneration, original.liveGeneration, `${original.name}: the copy reads a pointer of its own`);
  }
});
