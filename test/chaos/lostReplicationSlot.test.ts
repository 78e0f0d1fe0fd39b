// The replication slot can neither fill the write database's disk nor lose an event. With Kafka
// Connect down while commands continue and a WAL bound of 48 MB, Postgres invalidates the slot
// (its retained WAL never more than one segment past the bound); `apply` then refuses, and
// `outflow connectors recover` publishes what the topics lack: every outbox row's event id is in
// its topic, under the same key, partition and headers, first deliveries in version order per
// aggregate, and every read model equals the write model although events arrive twice.
// The same for a connector deleted with its slot dropped, and for offsets reset by mistake.
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { applySource, waitUntilRunning } from '../../connectors/applyConnector.ts';
import { ConnectClient } from '../../connectors/connectClient.ts';
import { recoverLostSlot, type RecoveryOutcome } from '../../connectors/lostSlotRecovery.ts';
import { replicationSlotState, slotWarning } from '../../connectors/replicationSlot.ts';
import { COMMAND_API_SOURCE, declaredSources, sourceNamed } from '../../connectors/sourceConnector.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { stackLayout } from '../../infra/local/stackLayout.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { AGGREGATE_TYPES, topicOf } from '../../schemas/eventCatalog.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';
import { TopicReader, type ReadMessage } from '../support/topicReader.ts';

// Four recoveries, each waiting for a slot to be invalidated and for verify: minutes, not seconds.
t.setTimeout(15 * 60_000);
const h = await pipelineHarness(t);
const cfg = config();
const stack = new LocalStack({ log: () => {} });
const connect = new ConnectClient({ url: cfg.connect.url });
const source = sourceNamed(cfg, COMMAND_API_SOURCE);
const definition = source.connector;
const slotName = source.slot;
const MARGIN_MS = 5 * 60_000;

// Changing the WAL bound needs the cluster's superuser, over the stack's own socket.
const superuser = new pg.Client({ host: path.join(stackLayout(cfg).runDir, 'postgres'), port: cfg.postgres.port, user: 'postgres', database: cfg.postgres.writeDatabase });
await superuser.connect();
const setWalBound = async (value: string | undefined) => {
  await superuser.query(value === undefined ? 'ALTER SYSTEM RESET max_slot_wal_keep_size' : `ALTER SYSTEM SET max_slot_wal_keep_size = '${value}'`);
  await superuser.query('SELECT pg_reload_conf()');
  // The reload reaches other sessions asynchronously; a new session shows when it has.
  await pollUntil(`max_slot_wal_keep_size ${value ?? 'restored'}`, async () => {
    const shown = (await replicationSlotState(cfg, source))?.maxSlotWalKeepSize;
    return shown === undefined || shown === (value ?? cfg.postgres.maxSlotWalKeepSize) ? true : undefined;
  }, { timeoutMs: 10_000, intervalMs: 100 });
};
t.teardown(async () => {
  // Whatever happened above, later files find the bound as configured and the pipeline streaming.
  await setWalBound(undefined);
  await superuser.end();
  await stack.up(['kafka-connect']);
  for (const other of declaredSources(cfg)) {
    await recoverLostSlot(cfg, other.name, { marginMs: MARGIN_MS, log: () => {} });
    await applySource(cfg, other.name);
  }
});

function outflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

interface OutboxEvent {
  event_id: string;
  aggregate_type: (typeof AGGREGATE_TYPES)[number];
  aggregate_id: string;
  aggregate_version: string;
}

/**
 * Every outbox row written since `since` is in its topic; copies of one event are identical and
 * in one partition; per aggregate, first deliveries come in version order. Returns the duplicates.
 */
async function assertTopicsHoldOutbox(t: Test, since: Date): Promise<number> {
  const { rows } = await superuser.query<OutboxEvent>(
    'SELECT event_id::text, aggregate_type, aggregate_id, aggregate_version::text FROM write.outbox WHERE occurred_at >= $1',
    [since],
  );
  t.ok(rows.length > 0, `${rows.length} outbox rows to find`);
  const reader = await TopicReader.start(AGGREGATE_TYPES.map(topicOf));
  try {
    const wanted = new Map(rows.map((r) => [r.event_id, r]));
    const seen = (messages: ReadMessage[]) => new Set(messages.filter((m) => wanted.has(m.headers.eventId ?? '')).map((m) => m.headers.eventId));
    await reader.waitFor(`all ${rows.length} outbox events in their topics`, (messages) => seen(messages).size === wanted.size, 180_000).catch(() => undefined);
    const copies = new Map<string, ReadMessage[]>();
    for (const m of reader.messages) {
      const id = m.headers.eventId ?? '';
      if (wanted.has(id)) (copies.get(id) ?? copies.set(id, []).get(id)!).push(m);
    }
    const missing = rows.filter((r) => !copies.has(r.event_id));
    t.same(missing.slice(0, 5), [], `every outbox event id is in its topic (${missing.length} of ${rows.length} missing)`);
    // Debezium adds tracing-context headers of its own (__debezium.context.*); the outbox router's are what consumers read.
    const routerHeaders = (m: ReadMessage) => JSON.stringify(Object.entries(m.headers).filter(([name]) => !name.startsWith('__debezium.')).sort());
    let duplicates = 0;
    for (const [id, list] of copies) {
      const row = wanted.get(id)!;
      const [first, ...rest] = list;
      if (first!.topic !== topicOf(row.aggregate_type) || first!.key !== row.aggregate_id || first!.headers.aggregateVersion !== row.aggregate_version) {
        t.fail(`event ${id} is on ${first!.topic} under key ${first!.key}, version ${first!.headers.aggregateVersion}: not where the outbox row routes it`);
      }
      for (const copy of rest) {
        duplicates++;
        if (copy.partition !== first!.partition || copy.key !== first!.key || !copy.value.equals(first!.value) || routerHeaders(copy) !== routerHeaders(first!)) {
          t.fail(`event ${id} arrived twice, not as the same record: ${JSON.stringify({ first: { p: first!.partition, h: routerHeaders(first!) }, copy: { p: copy.partition, h: routerHeaders(copy) } })}`);
        }
      }
    }
    // Per aggregate, the versions in the order their first copies sit in the partition rise.
    const firstSeen = new Map<string, number[]>();
    const done = new Set<string>();
    for (const m of [...reader.messages].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
      const id = m.headers.eventId ?? '';
      if (!wanted.has(id) || done.has(id)) continue;
      done.add(id);
      const key = `${m.topic}/${m.key}`;
      (firstSeen.get(key) ?? firstSeen.set(key, []).get(key)!).push(Number(m.headers.aggregateVersion));
    }
    const reordered = [...firstSeen].filter(([, versions]) => versions.some((v, i) => i > 0 && v <= versions[i - 1]!));
    t.same(reordered.slice(0, 3), [], `per aggregate, first deliveries in version order (${firstSeen.size} aggregates)`);
    return duplicates;
  } finally {
    await reader.close();
  }
}

async function assertReadModelsEqualWriteModel(t: Test, generation: number): Promise<void> {
  const report = await h.verify(generation);
  t.same(report.differences.slice(0, 10), [], 'every read model equals the write model');
  t.equal(report.differences.length, 0);
}

const parseOutcome = (stdout: string) => JSON.parse(stdout) as RecoveryOutcome;

t.test('Connect down past a 48 MB WAL bound: the slot is lost, the disk stays bounded, recover loses nothing', async (t) => {
  const since = new Date(Date.now() - 1000);
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(150, 4);

  // Three segments: the slot is seen within its bound a few checkpoints before it is invalidated.
  const bound = 48 * 1024 * 1024;
  await setWalBound('48MB');
  const segment = Number((await superuser.query<{ bytes: string }>("SELECT setting AS bytes FROM pg_settings WHERE name = 'wal_segment_size'")).rows[0]!.bytes);
  await stack.down({ names: ['kafka-connect'] });

  // Commands continue; each checkpoint may remove WAL the stopped connector has not streamed.
  const retained: number[] = [];
  // Every source's connector is down with Connect, so every slot passes the bound in turn.
  const everySlotLost = async () => (await Promise.all(declaredSources(cfg).map((s) => replicationSlotState(cfg, s)))).every((s) => s?.walStatus === 'lost');
  await pollUntil("every source's slot invalidated by its WAL bound", async () => {
    await load.run(30, 4);
    await superuser.query('SELECT pg_switch_wal()');
    await superuser.query('CHECKPOINT');
    const slot = await replicationSlotState(cfg, source);
    if (slot?.walStatus === 'lost') return (await everySlotLost()) || undefined;
    if (slot?.retainedBytes !== null && slot?.retainedBytes !== undefined) retained.push(slot.retainedBytes);
    return undefined;
  }, { timeoutMs: 120_000, intervalMs: 10 });
  t.ok(retained.length >= 2, `the slot was seen within its bound first (${retained.length} checkpoints)`);
  t.ok(
    retained.every((bytes) => bytes <= bound + segment),
    `after every checkpoint the slot retained at most the bound plus one segment (${retained.map((b) => Math.round(b / 1024)).join(', ')} KiB)`,
  );

  const lost = (await replicationSlotState(cfg, source))!;
  t.match(slotWarning(lost, source), { walStatus: 'lost', fix: /outflow connectors recover command-api/ }, 'the slot is reported lost, with the fix');
  await t.rejects(applySource(cfg, COMMAND_API_SOURCE), { code: 'OUTFLOW_ERR_SLOT_AT_RISK', message: /lost.*connectors recover/s }, 'apply refuses to stream from a lost slot');
  await load.run(80, 4); // committed while the slot is lost: only the outbox has them

  await setWalBound(undefined);
  await stack.up(['kafka-connect']);
  const dry = await outflow('connectors', 'recover', COMMAND_API_SOURCE, '--dry-run', '--json');
  t.equal(dry.code, 0, dry.stderr);
  const planned = parseOutcome(dry.stdout);
  t.match(planned, { needed: true, cause: 'lost', dryRun: true }, 'the dry run finds the lost slot');
  t.ok(planned.needed && planned.since !== null && Object.values(planned.republished).reduce((a, b) => a + b, 0) > 0, 'and outbox rows to publish');
  t.equal((await replicationSlotState(cfg, source))?.walStatus, 'lost', 'the dry run changed nothing');

  const run = await outflow('connectors', 'recover', COMMAND_API_SOURCE, '--json');
  t.equal(run.code, 0, `recover exits 0${run.code ? `: ${run.stderr}` : ''}`);
  const outcome = parseOutcome(run.stdout);
  t.match(outcome, { needed: true, cause: 'lost', dryRun: false, connectorState: 'RUNNING' });
  const healthy = await replicationSlotState(cfg, source);
  t.ok(healthy && healthy.walStatus !== 'lost', `a new slot (${healthy?.walStatus})`);
  // Connect down past the bound stops every source, so the other source's slot passed the bound
  // too: recover --all recovers each slot that needs it and leaves the healthy one alone.
  const all = await outflow('connectors', 'recover', '--all', '--json');
  t.equal(all.code, 0, `recover --all exits 0${all.code ? `: ${all.stderr}` : ''}`);
  const outcomes = JSON.parse(all.stdout) as RecoveryOutcome[];
  t.match(outcomes[0], { needed: false }, 'command-api, just recovered, is left alone');
  t.match(outcomes[1], { needed: true, cause: 'lost', connectorState: 'RUNNING' }, 'payments, whose slot also passed the bound, is recovered');
  for (const other of declaredSources(cfg)) t.not((await replicationSlotState(cfg, other))?.walStatus, 'lost', `${other.name}'s slot streams again`);
  await load.run(80, 4); // streamed live again

  await assertReadModelsEqualWriteModel(t, generation);
  const duplicates = await assertTopicsHoldOutbox(t, since);
  t.ok(duplicates > 0, `events the margin published twice (${duplicates}) changed no read model`);

  const again = await outflow('connectors', 'recover', COMMAND_API_SOURCE, '--json');
  t.equal(again.code, 0, again.stderr);
  t.match(parseOutcome(again.stdout), { needed: false }, 'a second recover changes nothing');
  const status = await outflow('connectors', 'status', COMMAND_API_SOURCE);
  t.equal(status.code, 0, `connectors status is healthy again: ${status.stdout}${status.stderr}`);
});

t.test('a deleted connector whose slot was dropped: apply refuses, recover publishes what was missed', async (t) => {
  const since = new Date(Date.now() - 1000);
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(60, 4);
  await connect.delete(definition.name);
  await pollUntil('the slot released', async () => ((await replicationSlotState(cfg, source))?.active === false ? true : undefined), { timeoutMs: 60_000 });
  await superuser.query('SELECT pg_drop_replication_slot($1)', [slotName]);
  await load.run(60, 4); // nothing holds these for Debezium any more

  await t.rejects(applySource(cfg, COMMAND_API_SOURCE), { code: 'OUTFLOW_ERR_SLOT_AT_RISK', message: /missing.*connectors recover/s }, 'apply refuses to start a new slot that would skip events');
  const outcome = await recoverLostSlot(cfg, COMMAND_API_SOURCE, { marginMs: MARGIN_MS });
  t.match(outcome, { needed: true, cause: 'missing', connectorState: 'RUNNING' });
  await load.run(60, 4);

  await assertReadModelsEqualWriteModel(t, generation);
  await assertTopicsHoldOutbox(t, since);
});

t.test('offsets reset by mistake: the slot still holds the position, nothing is lost', async (t) => {
  const since = new Date(Date.now() - 1000);
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(60, 4);
  await connect.stop(definition.name);
  await pollUntil('the connector stopped', async () => ((await connect.status(definition.name))?.connector.state === 'STOPPED' ? true : undefined), { timeoutMs: 60_000 });
  await connect.resetOffsets(definition.name);
  t.same((await connect.offsets(definition.name)).offsets, [], 'Connect holds no offsets for it');
  await load.run(60, 4); // committed while it is stopped without offsets
  t.match(await recoverLostSlot(cfg, COMMAND_API_SOURCE, { marginMs: MARGIN_MS }), { needed: false }, 'recover sees a healthy slot: nothing to do');
  await connect.resume(definition.name);
  await waitUntilRunning(connect, definition.name, { timeoutMs: 120_000 });
  await load.run(60, 4);

  await assertReadModelsEqualWriteModel(t, generation);
  await assertTopicsHoldOutbox(t, since);
});

t.test('a recovery cut short is resumed from the starting point it recorded', async (t) => {
  const generation = h.newGeneration();
  await h.startWorker({ generation });
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(40, 4);
  // What a run stopped after deciding its starting point leaves behind (its slot may be new already).
  const since = new Date(Date.now() - 60_000);
  await superuser.query('INSERT INTO write.outbox_republish (slot_name, since) VALUES ($1, $2)', [slotName, since]);
  await t.rejects(applySource(cfg, COMMAND_API_SOURCE), { code: 'OUTFLOW_ERR_SLOT_AT_RISK', message: /did not finish.*connectors recover/s }, 'apply refuses while a recovery is unfinished');
  const expected = Number((await superuser.query<{ n: string }>('SELECT count(*) AS n FROM write.outbox WHERE occurred_at >= $1', [since])).rows[0]!.n);
  const outcome = await recoverLostSlot(cfg, COMMAND_API_SOURCE, { marginMs: MARGIN_MS });
  t.match(outcome, { needed: true, cause: 'interrupted', since: since.toISOString(), connectorState: 'RUNNING' });
  t.equal(outcome.needed && Object.values(outcome.republished).reduce((a, b) => a + b, 0), expected, 'every row from the recorded point on is published again');
  t.equal((await superuser.query('SELECT 1 FROM write.outbox_republish')).rowCount, 0, 'the finished recovery is cleared');
  await load.run(40, 4);
  await assertReadModelsEqualWriteModel(t, generation);
});
