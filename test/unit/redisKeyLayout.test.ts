// The Redis key layout on one server and on a cluster: the single-server keys stay what they
// were, and on a cluster every key a script touches together carries the same hash tag.
import t from 'tap';
import { CLUSTER_BUCKETS, RedisKeyLayout, redisCheckpointsKey, redisGenerationPrefix, redisLivePointerKey, redisPrefixPattern, redisSourceTimesKey, relativeKeyTag } from '../../projectors/stores/redisKeys.ts';

/** The hash tag Redis Cluster hashes a key by: the text between its first { and the next }, if not empty. */
function clusterTag(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

t.test('one server: the keys are the single-server layout exactly', async (t) => {
  const layout = new RedisKeyLayout('order-summary', 1);
  t.notOk(layout.bucketed);
  // Written out: the functions of the same names derive from the layout, so they cannot be its oracle.
  t.equal(layout.dataKey(3, 'order:o-1'), 'outflow:order-summary:g3:order:o-1');
  t.equal(layout.checkpointsKey(3, 'events.order'), 'outflow:order-summary:g3:checkpoints:events.order');
  t.equal(layout.sourceTimesKey(3, 'events.order'), 'outflow:order-summary:g3:source-times:events.order');
  t.equal(layout.livePointerKey, 'outflow:order-summary:live');
  t.equal(redisSourceTimesKey('order-summary', 3, 'events.order'), layout.sourceTimesKey(3, 'events.order'));
  t.equal(redisCheckpointsKey('order-summary', 3, 'events.order'), layout.checkpointsKey(3, 'events.order'));
  t.same(layout.allPointerKeys, [redisLivePointerKey('order-summary')]);
  const { pointerKey, head, tail } = layout.aroundGeneration('order:o-1');
  t.equal(pointerKey, redisLivePointerKey('order-summary'));
  t.equal(`${head}3${tail}`, layout.dataKey(3, 'order:o-1'));
  t.equal(layout.scanPattern(3, 'order:'), redisPrefixPattern(`${redisGenerationPrefix('order-summary', 3)}order:`));
  t.equal(layout.relativeKeyOf(layout.dataKey(3, 'order:o-1'), 3), 'order:o-1');
  t.equal(layout.relativeKeyOf(layout.dataKey(3, 'order:o-1'), 4), undefined);
});

t.test('a relative key is bucketed by its hash tag, as Redis reads one, or else whole', async (t) => {
  t.equal(relativeKeyTag('customer:{c-42}:orders'), 'c-42');
  t.equal(relativeKeyTag('order:o-1'), 'order:o-1');
  t.equal(relativeKeyTag('a{}b{c}'), 'a{}b{c}', 'an empty first tag means no tag, as in Redis');
  t.equal(relativeKeyTag('a{b'), 'a{b');
  const layout = new RedisKeyLayout('customer-orders', CLUSTER_BUCKETS);
  t.equal(layout.bucketOf('customer:{c-42}:orders'), layout.bucketOf('customer:{c-42}:summaries'));
});

t.test('cluster: the pointer copy, the data and the bucket checkpoints of a key share its bucket\'s tag', async (t) => {
  const layout = new RedisKeyLayout('order-summary', CLUSTER_BUCKETS);
  t.ok(layout.bucketed);
  for (const relative of ['order:o-1', 'order:o-2', 'order:{x}:y']) {
    const bucket = layout.bucketOf(relative);
    const tag = `order-summary:b${bucket}`;
    const { pointerKey, head, tail } = layout.aroundGeneration(relative);
    t.equal(clusterTag(layout.dataKey(7, relative)), tag, `${relative}: data`);
    t.equal(clusterTag(pointerKey), tag, `${relative}: pointer copy`);
    t.equal(`${head}7${tail}`, layout.dataKey(7, relative), `${relative}: the reader's key is the writer's`);
    t.equal(clusterTag(layout.bucketCheckpointsKey(7, bucket, 'events.order')), tag);
    t.equal(layout.relativeKeyOf(layout.dataKey(7, relative), 7), relative);
  }
  t.equal(clusterTag(layout.checkpointsKey(7, 'events.order')), clusterTag(layout.sourceTimesKey(7, 'events.order')), 'checkpoints and source times share a slot');
  t.equal(layout.relativeKeyOf(layout.checkpointsKey(7, 'events.order'), 7), 'checkpoints:events.order');
  t.ok(layout.isBucketCheckpointsKey(layout.bucketCheckpointsKey(7, 5, 'events.order'), 7));
  t.notOk(layout.isBucketCheckpointsKey(layout.checkpointsKey(7, 'events.order'), 7), "the partitions' checkpoints are not a bucket's");
  t.notOk(layout.isBucketCheckpointsKey(layout.dataKey(7, 'order:o-1'), 7));
  t.equal(layout.allPointerKeys.length, CLUSTER_BUCKETS + 1);
  t.equal(layout.allPointerKeys.at(-1), layout.livePointerKey, 'the pointer the runtime reads moves last');
  t.equal(layout.relativeKeyOf(layout.bucketPointerKey(3), 7), undefined, 'pointers belong to no generation');
  t.equal(new RedisKeyLayout('order-summary-copy', CLUSTER_BUCKETS).relativeKeyOf(layout.dataKey(7, 'order:o-1'), 7), undefined, "another projection's key");
});

t.test('cluster: buckets are stable and spread the keys evenly', async (t) => {
  const layout = new RedisKeyLayout('order-summary', CLUSTER_BUCKETS);
  // FNV-1a, worked out apart from the code: a changed hash moves every key (a new projection version).
  t.equal(layout.bucketOf('order:00000000-0000-0000-0000-000000000001'), layout.bucketOf('order:00000000-0000-0000-0000-000000000001'));
  t.same(['order:a', 'order:b', 'customer:{c}:orders'].map((key) => layout.bucketOf(key)), [2, 47, 18]);
  const counts = new Array<number>(CLUSTER_BUCKETS).fill(0);
  for (let i = 0; i < 64_000; i++) counts[layout.bucketOf(`order:${crypto.randomUUID()}`)]! += 1;
  t.ok(Math.min(...counts) > 700 && Math.max(...counts) < 1300, `64,000 ids over ${CLUSTER_BUCKETS} buckets: ${Math.min(...counts)} to ${Math.max(...counts)} per bucket`);
});
