// A store that fails transiently (a refused connection) makes the runtime retry the same
// chunk with backoff until it succeeds: nothing is skipped, nothing goes to the DLQ.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { RetryEvent } from '../../projectors/runtime/lifecycleEvents.ts';
import { listParkedKeys } from '../../projectors/runtime/parkedKeysTable.ts';
import { runtimeHarness } from '../support/runtimeHarness.ts';
import { aggregateRows, newFaults, RUNTIME_TEST_PROJECTION } from '../support/runtimeTestProjection.ts';

t.test('a transiently failing store: the same chunk is retried until it applies, nothing parked or skipped', async (t) => {
  const h = await runtimeHarness(t);
  const faults = newFaults();
  faults.transientFailuresLeft = 4;
  const key = `${h.keyPrefix}r`;
  const worker = await h.startWorker(faults);
  const retries: RetryEvent[] = [];
  worker.on('retry', (event) => retries.push(event));
  const states = new Set<string>();
  worker.on('retry', () => states.add(Object.values(worker.health().projections)[0]?.state ?? ''));
  const offsets = await h.produce([h.orderPlaced(key), h.orderShipped(key, 2)]);

  const rows = await pollUntil('both events applied', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(key)?.version === 2 ? found : undefined;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  t.equal(faults.transientFailuresRaised, 4, 'the store failed four times');
  const ours = retries.filter((r) => r.topic === h.topic && r.partition === 0);
  t.equal(ours.length, 4, 'each failure was retried');
  t.match(ours[0]?.error, /ECONNREFUSED/, 'classified as transient from the connection error');
  t.same(ours.map((r) => r.attempt), [1, 2, 3, 4], 'one chunk, retried with growing attempt numbers');
  t.ok(states.has('retrying'), '/health reports the projection as retrying meanwhile');
  t.same(rows.get(key)?.offsets, offsets.map((o) => `${h.topic}:0:${o}`), 'every event applied, once, in order');
  t.same((await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, h.generation)).filter((p) => p.key === key), [], 'nothing parked');
  t.equal(worker.health().status, 'ok');
  const metrics = await worker.metricsRegistry.metrics();
  t.match(metrics, /outflow_projector_retries_total\{projection="runtime-test"[^}]*\} [4-9]/);
  t.match(metrics, /outflow_projector_events_applied_total\{projection="runtime-test"/);
  t.ok(metrics.includes(`outflow_projector_consumer_lag{projection="runtime-test",topic="${h.topic}",partition="0"`), 'lag is reported per partition');
});

t.test('/health and /metrics answer over HTTP on an ephemeral port', async (t) => {
  const h = await runtimeHarness(t);
  const worker = await h.startWorker(newFaults(), { httpPort: 0 });
  t.ok(worker.httpPort && worker.httpPort > 0, `listening on ${worker.httpPort}`);
  const health = await fetch(`http://127.0.0.1:${worker.httpPort}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok', projections: { [RUNTIME_TEST_PROJECTION]: { groupId: h.groupId } } });
  const metrics = await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`);
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /outflow_process_/);
  t.equal((await fetch(`http://127.0.0.1:${worker.httpPort}/nope`)).status, 404);
});
