// The projector runtime against real Kafka, registry and read-model Postgres: events applied
// with their checkpoint, offsets committed after the store write, a restarted worker resumes
// at checkpoint + 1 without applying anything twice, and a graceful stop leaves the group, so
// the next worker takes the partitions without waiting for a session timeout.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { AssignmentEvent, BatchStartEvent } from '../../projectors/runtime/lifecycleEvents.ts';
import type { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';
import { runtimeHarness } from '../support/runtimeHarness.ts';
import { aggregateRows, RUNTIME_TEST_PROJECTION } from '../support/runtimeTestProjection.ts';

const deadline = { timeoutMs: 60_000, intervalMs: 100 };

async function checkpointOf(h: Awaited<ReturnType<typeof runtimeHarness>>, partition: number): Promise<bigint | undefined> {
  const { rows } = await h.pool.query<{ offset: string }>(
    `SELECT "offset"::text AS offset FROM projector_checkpoints WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4`,
    [RUNTIME_TEST_PROJECTION, h.generation, h.topic, partition],
  );
  return rows[0] ? BigInt(rows[0].offset) : undefined;
}

t.test('applies events, checkpoints them and commits offsets; a restart resumes at checkpoint + 1', async (t) => {
  const h = await runtimeHarness(t);
  const a = `${h.keyPrefix}a`;
  const b = `${h.keyPrefix}b`;
  const first = await h.produce([h.orderPlaced(a), h.orderPlaced(b), h.orderShipped(a, 2)]);
  const lastFirst = first.at(-1)!;

  const worker = await h.startWorker();
  const rows = await pollUntil('both orders applied', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(a)?.version === 2 && found.get(b)?.version === 1 ? found : undefined;
  }, deadline);
  t.same(rows.get(a)?.offsets, [`${h.topic}:0:${first[0]}`, `${h.topic}:0:${first[2]}`], 'each event of a applied once, in order');
  t.equal(rows.get(b)?.applied, 1);
  t.ok((await checkpointOf(h, 0))! >= BigInt(lastFirst), 'the checkpoint covers the last event');
  const committed = await pollUntil('offsets committed', async () => {
    const offset = await h.committedOffset(0);
    return offset !== undefined && BigInt(offset) > BigInt(lastFirst) ? offset : undefined;
  }, deadline);
  t.ok(BigInt(committed) <= (await checkpointOf(h, 0))! + 1n, 'Kafka never commits past what the store holds');
  t.equal(worker.health().status, 'ok');
  await worker.stop();

  // While no worker runs, more events arrive; the next worker must start right after the checkpoint.
  const second = await h.produce([h.orderShipped(b, 2), h.orderPlaced(`${h.keyPrefix}c`)]);
  const checkpoint = (await checkpointOf(h, 0))!;
  const restarted = await h.startWorker();
  const starts: BatchStartEvent[] = [];
  restarted.on('batch.start', (event) => starts.push(event));
  const after = await pollUntil('the new events applied', async () => {
    const found = await aggregateRows(h.pool, h.generation);
    return found.get(b)?.version === 2 && found.has(`${h.keyPrefix}c`) ? found : undefined;
  }, deadline);
  const partitionZero = starts.filter((s) => s.topic === h.topic && s.partition === 0);
  t.ok(partitionZero[0], 'partition 0 was consumed again');
  t.equal(BigInt(partitionZero[0]?.firstOffset ?? -1), checkpoint + 1n, 'the first batch after restart starts at checkpoint + 1');
  t.same(after.get(a)?.offsets.length, 2, 'nothing of a re-applied');
  t.same(after.get(b)?.offsets, [`${h.topic}:0:${first[1]}`, `${h.topic}:0:${second[0]}`], 'b: each offset exactly once');
  for (const row of after.values()) t.equal(new Set(row.offsets).size, row.offsets.length, `${row.key}: no offset applied twice`);
});

/** The partitions of the topic a worker's (only) projection owns, sorted. */
function partitionsOf(worker: ProjectorWorker, topic: string): number[] {
  return [...(Object.values(worker.health().projections)[0]?.assignment[topic] ?? [])].sort((x, y) => x - y);
}

t.test('a graceful stop commits and leaves the group: the other worker takes every partition', async (t) => {
  const h = await runtimeHarness(t);
  const all = Array.from({ length: 12 }, (_, i) => i);
  // Named clients, so the group's member list says which worker is still in it.
  const first = await h.startWorker(undefined, { clientId: 'outflow-runtime-test-first' });
  const second = await h.startWorker(undefined, { clientId: 'outflow-runtime-test-second' });
  const assignments: AssignmentEvent[] = [];
  second.on('assignment', (event) => assignments.push(event));
  const split = await pollUntil('both workers share the partitions', async () => {
    const mine = partitionsOf(second, h.topic);
    const theirs = partitionsOf(first, h.topic);
    return mine.length > 0 && theirs.length > 0 && mine.length + theirs.length === all.length ? { mine, theirs } : undefined;
  }, deadline);
  t.same(split.mine.filter((p) => split.theirs.includes(p)), [], 'no partition is assigned to both');
  t.same([...split.mine, ...split.theirs].sort((x, y) => x - y), all, 'together they cover every partition');
  const key = `${h.keyPrefix}handover`;
  const [offset] = await h.produce([h.orderPlaced(key)]);
  await pollUntil('the event applied', async () => ((await aggregateRows(h.pool, h.generation)).has(key) ? true : undefined), deadline);

  const admin = h.kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const membersBefore = (await admin.describeGroups([h.groupId])).groups[0]?.members.map((m) => m.clientId).sort();
  t.same(membersBefore, ['outflow-runtime-test-first', 'outflow-runtime-test-second'], 'both workers are members of the group');
  await first.stop();
  // A worker that only disconnected would stay a member until its session timed out; one that left is gone when stop() returns.
  const membersAfter = (await admin.describeGroups([h.groupId])).groups[0]?.members.map((m) => m.clientId);
  t.notOk(membersAfter?.includes('outflow-runtime-test-first'), `the stopped worker left the group (members: ${membersAfter?.join(', ')})`);
  await pollUntil('the remaining worker owns all 12 partitions', async () => {
    const last = assignments.at(-1);
    return last && [...(last.assignment[h.topic] ?? [])].sort((x, y) => x - y).join() === all.join() ? true : undefined;
  }, deadline);
  t.same(partitionsOf(second, h.topic), all, 'its health reports every partition');
  const committed = await h.committedOffset(0);
  t.ok(committed !== undefined && BigInt(committed) > BigInt(offset!), 'partition 0 was committed past the applied event');
  const rows = await aggregateRows(h.pool, h.generation);
  t.equal(rows.get(key)?.applied, 1, 'the handover applied nothing twice');
});
