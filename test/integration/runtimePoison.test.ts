// Poison messages park their key: the poison and every later message of that key go, in
// order, to dlq.<projection> while other keys flow; `dlq skip` drops what cannot be fixed,
// `dlq retry` applies what was fixed, and the live worker carries on with the key after it.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { DlqResolver } from '../../projectors/runtime/dlqResolver.ts';
import { listParkedKeys } from '../../projectors/runtime/parkedKeysTable.ts';
import { config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import type { ParkedEvent } from '../../projectors/runtime/lifecycleEvents.ts';
import { runtimeHarness } from '../support/runtimeHarness.ts';
import { aggregateRows, newFaults, RUNTIME_TEST_PROJECTION, runtimeTestProjection } from '../support/runtimeTestProjection.ts';
import { TopicReader } from '../support/topicReader.ts';

const deadline = { timeoutMs: 60_000, intervalMs: 100 };

t.test('poison parks its key in order while other keys flow; skip and retry resolve it', async (t) => {
  const h = await runtimeHarness(t);
  const faults = newFaults();
  const k = `${h.keyPrefix}k`;
  const l = `${h.keyPrefix}l`;
  const m = `${h.keyPrefix}m`;
  const headers = (type: string, version: number) => ({ eventId: `bad-${version}-${k}`, eventType: type, aggregateVersion: String(version) });
  const unknownSchema = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from('body')]);
  unknownSchema.writeInt32BE(999_999, 1);
  const poisonForM = h.orderShipped(m, 2);
  faults.poisonEventIds.add(poisonForM.headers.eventId!);

  const worker = await h.startWorker(faults);
  const parkedEvents: ParkedEvent[] = [];
  worker.on('parked', (event) => {
    if (event.key.startsWith(h.keyPrefix)) parkedEvents.push(event);
  });
  const offsets = await h.produce([
    h.orderPlaced(l),
    { key: k, value: Buffer.from('definitely not avro'), headers: headers('OrderPlaced', 1) },
    { key: k, value: unknownSchema, headers: headers('OrderShipped', 2) },
    h.orderPlaced(k, 1),
    h.orderPlaced(m, 1),
    poisonForM,
    h.orderShipped(k, 2),
    h.orderShipped(l, 2),
  ]);

  const rows = await pollUntil('l applied past the poison, m up to its poison', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(l)?.version === 2 && found.get(m)?.version === 1 && parkedEvents.length >= 5 ? found : undefined;
  }, deadline);
  t.notOk(rows.has(k), 'nothing of k was applied');
  t.equal(rows.get(m)?.applied, 1, 'm: only the event before its poison');

  const reader = await TopicReader.start([`dlq.${RUNTIME_TEST_PROJECTION}`]);
  t.teardown(() => reader.close());
  const ours = (await reader.waitFor('the parked messages', (all) => all.filter((x) => x.headers.dlqGeneration === String(h.generation) && x.key.startsWith(h.keyPrefix)).length >= 5))
    .filter((x) => x.headers.dlqGeneration === String(h.generation) && x.key.startsWith(h.keyPrefix));
  const ofK = ours.filter((x) => x.key === k);
  t.same(ofK.map((x) => x.headers.dlqOriginalOffset), [offsets[1], offsets[2], offsets[3], offsets[6]], "k's messages in the DLQ, in their order");
  t.match(ofK[0]?.headers.dlqReason, /OUTFLOW_ERR_NOT_WIRE_FORMAT/, 'the first names why it is poison');
  t.match(
    ofK.slice(1).map((x) => x.headers.dlqReason),
    [new RegExp(`^parked behind ${offsets[1]}; itself poison: OUTFLOW_ERR_UNKNOWN_SCHEMA_ID`), `parked behind ${offsets[1]}`, `parked behind ${offsets[1]}`],
    'the ones behind it say so, and a poison one among them says that too',
  );
  t.equal(ofK[0]?.value.toString(), 'definitely not avro', 'the original bytes are kept');
  t.same(
    [ofK[0]?.headers.dlqOriginalTopic, ofK[0]?.headers.dlqOriginalPartition, ofK[0]?.headers.dlqProjection, ofK[0]?.headers.eventType],
    [h.topic, '0', RUNTIME_TEST_PROJECTION, 'OrderPlaced'],
    'with where it came from and its original headers',
  );
  const ofM = ours.filter((x) => x.key === m);
  t.same(ofM.map((x) => x.headers.dlqOriginalOffset), [offsets[5]], "m's poison parked after failing on its own");
  t.match(ofM[0]?.headers.dlqReason, /OUTFLOW_ERR_PROJECTION_HANDLER/);

  const parked = await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, h.generation);
  t.same(parked.filter((p) => p.key.startsWith(h.keyPrefix)).map((p) => [p.key, p.firstOffset, p.parkedMessages]).sort(), [[k, offsets[1], 4], [m, offsets[5], 1]].sort());

  const resolver = await DlqResolver.open({ ...config(), logLevel: 'silent' }, runtimeTestProjection(h.topic, h.keyPrefix, faults), h.generation, createLogger('dlq-test', 'silent'));
  t.teardown(() => resolver.close());

  const retryK = await resolver.resolve(k);
  t.match(retryK, { status: 'still-parked', dlqOffset: ofK[0]?.offset, applied: 0 }, 'retry cannot fix garbage: k stays parked');
  const skipOnce = await resolver.resolve(k, { skipFirst: true });
  t.match(skipOnce, { status: 'still-parked', skipped: 1, dlqOffset: ofK[1]?.offset }, 'after the garbage, the unknown schema id is the next poison');
  t.match(skipOnce.status === 'still-parked' ? skipOnce.reason : '', /OUTFLOW_ERR_UNKNOWN_SCHEMA_ID/);
  t.match(await resolver.resolve(k, { skipFirst: true }), { status: 'unparked', skipped: 1, applied: 2 });

  faults.poisonEventIds.clear(); // "the handler was fixed"
  t.match(await resolver.resolve(m), { status: 'unparked', applied: 1 });
  t.match(await resolver.resolve(m), { status: 'not-parked' }, 'a second retry has nothing to do');

  // The live worker carries on with both keys once they are unparked.
  await h.produce([h.orderShipped(m, 3), h.orderPlaced(k, 3)]);
  const resolved = await pollUntil('k and m up to date', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(k)?.version === 3 && found.get(m)?.version === 3 ? found : undefined;
  }, deadline);
  t.equal(resolved.get(k)?.applied, 3, 'k: its two parked events via the DLQ and the new one, each once');
  t.equal(resolved.get(m)?.applied, 3, 'm: placed, the fixed poison, and the new one');
  t.same((await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, h.generation)).filter((p) => p.key.startsWith(h.keyPrefix)), []);

  // A rebuild replays the same topic into a new generation: the skipped messages are stepped
  // over as the operator decided, so nothing is parked again and the state is the same.
  const replay = h.generation + 1;
  t.teardown(async () => {
    await h.pool.query('DELETE FROM runtime_test_aggregates WHERE generation = $1', [replay]);
    await h.pool.query('DELETE FROM projector_checkpoints WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, replay]);
    await h.pool.query('DELETE FROM projector_parked_keys WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, replay]);
  });
  await h.startWorker(faults, { generation: replay });
  const replayed = await pollUntil('the replay caught up', async () => {
    const found = await aggregateRows(h.pool, replay);
    return found.get(k)?.version === 3 && found.get(m)?.version === 3 && found.get(l)?.version === 2 ? found : undefined;
  }, deadline);
  t.same(
    [k, l, m].map((key) => [replayed.get(key)?.version, replayed.get(key)?.applied]),
    [k, l, m].map((key) => [resolved.get(key)?.version, resolved.get(key)?.applied]),
    'the replay applied each real event once, like the live generation',
  );
  t.same((await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, replay)).filter((p) => p.key.startsWith(h.keyPrefix)), [], 'nothing parked in the replay');
});
