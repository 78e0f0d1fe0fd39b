// A rebalance while a worker retries a failing store: the heartbeat of the retry learns that
// the group is rebalancing, and that must send the worker back to kafkajs to rejoin, not
// count as the store rejecting the batch (which would re-apply it event by event and park it).
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { listParkedKeys } from '../../projectors/runtime/parkedKeysTable.ts';
import { runtimeHarness } from '../support/runtimeHarness.ts';
import { aggregateRows, newFaults, RUNTIME_TEST_PROJECTION } from '../support/runtimeTestProjection.ts';

t.test('a second worker joins while the first retries: nothing parked, every event applied once, in order', async (t) => {
  const h = await runtimeHarness(t);
  const faults = newFaults();
  // Fails until the test lets it succeed; retries heartbeat all along.
  faults.transientFailuresLeft = Number.MAX_SAFE_INTEGER;
  const key = `${h.keyPrefix}rebalance`;
  const first = await h.startWorker(faults);
  let assignments = 0;
  first.on('assignment', () => (assignments += 1));
  const retrying = pollUntil('the first worker retrying', async () => (faults.transientFailuresRaised >= 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 50 });
  const offsets = await h.produce([h.orderPlaced(key), h.orderShipped(key, 2)]);
  await retrying;
  const assignmentsBefore = assignments;

  // The join makes the coordinator answer the retrying worker's next heartbeat with REBALANCE_IN_PROGRESS.
  const second = await h.startWorker(newFaults());
  await pollUntil('the first worker rejoined the group', async () => (assignments > assignmentsBefore ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
  t.ok(faults.transientFailuresRaised >= 2, `the first worker was retrying when the group changed (${faults.transientFailuresRaised} failures)`);
  faults.transientFailuresLeft = 0;

  const rows = await pollUntil('both events applied', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(key)?.version === 2 ? found : undefined;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  t.same(rows.get(key)?.offsets, offsets.map((o) => `${h.topic}:0:${o}`), 'every event applied, once, in order');
  t.same((await listParkedKeys(h.pool, RUNTIME_TEST_PROJECTION, h.generation)).filter((p) => p.key === key), [], 'nothing parked');
  for (const worker of [first, second]) {
    t.notMatch(await worker.metricsRegistry.metrics(), /outflow_projector_dlq_messages_total\{[^}]*\} [1-9]/, 'nothing sent to the DLQ');
    t.equal(worker.health().status, 'ok');
  }
});
