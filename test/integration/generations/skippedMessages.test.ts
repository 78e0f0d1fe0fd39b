// A message an operator skipped (`outflow dlq skip`) is skipped by every generation: a
// rebuild replaying the topic from offset 0 applies the key's other events instead of
// parking the key again.
import t from 'tap';
import { config } from '../../../lib/config.ts';
import { createLogger } from '../../../lib/logger.ts';
import { pollUntil } from '../../../lib/pollUntil.ts';
import { DlqResolver } from '../../../projectors/runtime/dlqResolver.ts';
import { listParkedKeys } from '../../../projectors/runtime/parkedKeysTable.ts';
import { runtimeHarness } from '../../support/runtimeHarness.ts';
import { aggregateRows, RUNTIME_TEST_PROJECTION, runtimeTestProjection } from '../../support/runtimeTestProjection.ts';

const deadline = { timeoutMs: 60_000, intervalMs: 100 };

t.test('a skip decision holds for a later generation replaying the same messages', async (t) => {
  const h = await runtimeHarness(t);
  const rebuilt = h.generation + 1;
  t.teardown(async () => {
    await h.pool.query('DELETE FROM runtime_test_aggregates WHERE generation = $1', [rebuilt]);
    await h.pool.query('DELETE FROM projector_checkpoints WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, rebuilt]);
    await h.pool.query('DELETE FROM projector_parked_keys WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, rebuilt]);
    await h.pool.query('DELETE FROM projector_skipped_messages WHERE projection = $1 AND topic = $2', [RUNTIME_TEST_PROJECTION, h.topic]);
  });
  const k = `${h.keyPrefix}k`;
  const l = `${h.keyPrefix}l`;
  const live = await h.startWorker();
  const offsets = await h.produce([
    { key: k, value: Buffer.from('garbage a bug produced'), headers: { eventId: `bad-${k}`, eventType: 'OrderPlaced', aggregateVersion: '1' } },
    h.orderPlaced(k, 1),
    h.orderShipped(k, 2),
    h.orderPlaced(l, 1),
  ]);
  await pollUntil('k parked, l applied', async () => {
    const parked = await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, h.generation);
    const rows = await aggregateRows(h.pool, h.generation);
    return parked.some((p) => p.key === k && p.parkedMessages === 3) && rows.has(l) ? true : undefined;
  }, deadline);

  const log = createLogger('dlq-test', 'silent');
  const resolver = await DlqResolver.open({ ...config(), logLevel: 'silent' }, runtimeTestProjection(h.topic, h.keyPrefix), h.generation, log);
  t.teardown(() => resolver.close());
  t.same(await resolver.resolve(k, { skipFirst: true }), { key: k, status: 'unparked', applied: 2, skipped: 1 });
  const { rows: skipped } = await h.pool.query('SELECT topic, partition, "offset"::text AS offset FROM projector_skipped_messages WHERE projection = $1 AND topic = $2', [RUNTIME_TEST_PROJECTION, h.topic]);
  t.same(skipped, [{ topic: h.topic, partition: 0, offset: offsets[0] }], 'the decision is recorded by source position');
  await live.stop();

  // A new generation replays the topic from offset 0, as a rebuild does.
  await h.startWorker(undefined, { generation: rebuilt });
  const rows = await pollUntil('the new generation has k and l', async () => {
    const found = await aggregateRows(h.pool, rebuilt);
    return found.get(k)?.version === 2 && found.has(l) ? found : undefined;
  }, deadline);
  t.same(rows.get(k)?.offsets, [`${h.topic}:0:${offsets[1]}`, `${h.topic}:0:${offsets[2]}`], "k's two events applied, the skipped message passed over");
  t.same(await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, rebuilt), [], 'nothing parked in the new generation');
});
