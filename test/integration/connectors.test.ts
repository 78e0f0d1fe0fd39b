// The outbox connector against the real stack: rows inserted by hand into write.outbox
// come out on events.<aggregate type> with the payload bytes untouched and the headers
// consumers rely on; a Kafka Connect restart mid-stream loses nothing.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import type { IHeaders } from 'kafkajs';
import { config } from '../../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorNotRunning } from '../../lib/errors.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { writeDatabaseClient } from '../../lib/writeDatabase.ts';
import { migrateWriteSchema } from '../../lib/writeSchema/writeSchemaMigration.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { topicOf } from '../../schemas/eventCatalog.ts';
import { applyConnector, applySource, waitUntilRunning } from '../../connectors/applyConnector.ts';
import { ConnectClient } from '../../connectors/connectClient.ts';
import { COMMAND_API_SOURCE, sourceNamed } from '../../connectors/sourceConnector.ts';
import { awaitRowsBeforePlacedColumns, newlyPlacedColumns } from '../../connectors/headerPlacementUpgrade.ts';
import { replicationSlotState, slotWarning } from '../../connectors/replicationSlot.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

const stack = await ensureStack('postgres', 'kafka', 'kafka-connect');
const cfg = config();
const topic = topicOf('order');
const client = new ConnectClient({ url: cfg.connect.url });
const source = sourceNamed(cfg, COMMAND_API_SOURCE);
const definition = source.connector;

await migrateWriteSchema(cfg);
await applySource(cfg, COMMAND_API_SOURCE);

const db = writeDatabaseClient(cfg);
await db.connect();
t.teardown(() => db.end());

interface Received {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  receivedAt: number;
}

const headerText = (headers: IHeaders | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('utf8') : String(value)]));

/** Everything that reaches events.order under keys starting with `prefix`, from the beginning of the topic. */
async function consumeOrders(prefix: string): Promise<{ received: Received[]; stop: () => Promise<void> }> {
  const kafka = kafkaClient(cfg, 'connectors-test', { clientId: 'outflow-connectors-test' });
  const admin = kafka.admin();
  await admin.connect();
  // The connector creates the topic with the configured partitions; a consumer must never auto-create it.
  await pollUntil(`${topic} to exist`, async () => ((await admin.listTopics()).includes(topic) ? true : undefined), { timeoutMs: 30_000 });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: uniqueName('test-connectors'), allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Received[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString('utf8') ?? '';
      if (!key.startsWith(prefix)) return;
      received.push({ key, value: message.value ?? Buffer.alloc(0), headers: headerText(message.headers), receivedAt: Date.now() });
    },
  });
  return { received, stop: () => consumer.disconnect() };
}

async function insertEvent(aggregateId: string, version: number, payload: Buffer): Promise<{ eventId: string; committedAt: number }> {
  const eventId = crypto.randomUUID();
  await db.query(
    `INSERT INTO write.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload) VALUES ($1, 'order', $2, $3, 'OrderPlaced', $4)`,
    [eventId, aggregateId, version, payload],
  );
  return { eventId, committedAt: Date.now() };
}

t.test('an outbox row arrives once on events.order: key, raw bytes and headers', async (t) => {
  const aggregateId = uniqueName('order');
  const payload = Buffer.from([0, 0, 0, 0, 1, 2, 3, 255]);
  const first = await insertEvent(aggregateId, 1, payload);
  const { received, stop } = await consumeOrders(aggregateId);
  t.teardown(stop);
  // A later event of the same aggregate lands in the same partition after the first, so once
  // it is here any duplicate of the first would be here too.
  const second = await insertEvent(aggregateId, 2, Buffer.from([0, 9]));
  await pollUntil('both events', async () => (received.some((m) => m.headers.eventId === second.eventId) ? true : undefined), { timeoutMs: 30_000 });

  const matching = received.filter((m) => m.headers.aggregateVersion === '1');
  t.equal(matching.length, 1, 'exactly one message for the row');
  const message = matching[0]!;
  t.equal(message.key, aggregateId, 'key = aggregate id');
  t.ok(message.value.equals(payload), 'value bytes identical to the payload column');
  t.equal(message.headers.eventId, first.eventId, 'eventId header = event_id');
  t.equal(message.headers.eventType, 'OrderPlaced', 'eventType header = event_type');
  t.equal(message.headers.aggregateVersion, '1', 'aggregateVersion header = aggregate_version, as a decimal string');
  t.equal(message.headers.id, first.eventId, "Debezium's own id header carries the event id too");

  // With the consumer caught up, one more row measures commit → Debezium → Kafka → consumer.
  const third = await insertEvent(aggregateId, 3, payload);
  await pollUntil('the third event', async () => received.find((m) => m.headers.eventId === third.eventId), { timeoutMs: 30_000, intervalMs: 5 });
  const arrived = received.find((m) => m.headers.eventId === third.eventId)!;
  t.comment(`commit → consumer latency for one row: ${arrived.receivedAt - third.committedAt} ms`);
});

t.test('a Kafka Connect restart mid-stream loses no event', async (t) => {
  const prefix = uniqueName('order-restart');
  const aggregates = 5;
  const inserted: { eventId: string; aggregateId: string; version: number; payload: Buffer }[] = [];
  const insertMany = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const n = inserted.length;
      const aggregateId = `${prefix}-${n % aggregates}`;
      const version = Math.floor(n / aggregates) + 1;
      const payload = crypto.randomBytes(16);
      const { eventId } = await insertEvent(aggregateId, version, payload);
      inserted.push({ eventId, aggregateId, version, payload });
    }
  };

  await insertMany(60);
  const stopping = stack.down({ names: ['kafka-connect'] });
  await insertMany(40); // committed while the worker shuts down
  await stopping;
  await insertMany(40); // committed while Connect is down: only the slot remembers them
  const starting = stack.up(['kafka-connect']);
  await insertMany(20);
  await starting;
  await waitUntilRunning(client, definition.name, { timeoutMs: 120_000 });
  await insertMany(40);
  t.equal(inserted.length, 200);

  const { received, stop } = await consumeOrders(prefix);
  t.teardown(stop);
  const expected = new Set(inserted.map((e) => e.eventId));
  await pollUntil(
    'every event id after the restart',
    async () => (new Set(received.map((m) => m.headers.eventId)).size >= expected.size ? true : undefined),
    { timeoutMs: 120_000 },
  );

  const byId = new Map(inserted.map((e) => [e.eventId, e]));
  const unknown = received.filter((m) => !byId.has(m.headers.eventId ?? ''));
  t.same(unknown.map((m) => m.headers.eventId), [], 'nothing arrives that was not inserted');
  t.same([...expected].filter((id) => !received.some((m) => m.headers.eventId === id)), [], 'no event is lost');
  for (const m of received) {
    const source = byId.get(m.headers.eventId ?? '');
    if (!source) continue;
    // a redelivered event must be an exact copy, never a different message under the same id
    if (m.key !== source.aggregateId || !m.value.equals(source.payload) || m.headers.aggregateVersion !== String(source.version)) {
      t.fail(`event ${m.headers.eventId} arrived altered`);
    }
  }
  const duplicates = received.length - expected.size;
  t.comment(`${received.length} messages for ${expected.size} events (${duplicates} exact duplicates)`);

  // Per aggregate, first deliveries come in version order: one key, one partition.
  for (let a = 0; a < aggregates; a++) {
    const versions = [...new Set(received.filter((m) => m.key === `${prefix}-${a}`).map((m) => Number(m.headers.aggregateVersion)))];
    t.same(versions, [...versions].sort((x, y) => x - y), `aggregate ${a} in version order`);
  }
});

t.test("an outbox row's traceparent is the traceparent header; a row without one has the header with no value", async (t) => {
  const aggregateId = uniqueName('order');
  const traceparent = `00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01`;
  const traced = crypto.randomUUID();
  await db.query(
    `INSERT INTO write.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, traceparent) VALUES ($1, 'order', $2, 1, 'OrderPlaced', $3, $4)`,
    [traced, aggregateId, Buffer.from([0, 1]), traceparent],
  );
  const untraced = await insertEvent(aggregateId, 2, Buffer.from([0, 2]));
  const raw: IHeaders[] = [];
  const kafka = kafkaClient(cfg, 'connectors-test', { clientId: 'outflow-connectors-test' });
  const consumer = kafka.consumer({ groupId: uniqueName('test-connectors-trace'), allowAutoTopicCreation: false });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void (message.key?.toString() === aggregateId && raw.push(message.headers ?? {})) });
  await pollUntil('both events', async () => (raw.length >= 2 ? true : undefined), { timeoutMs: 30_000 });
  const byId = new Map(raw.map((headers) => [String(headers.eventId), headers]));
  t.equal(byId.get(traced)?.traceparent?.toString(), traceparent, 'the column, byte for byte');
  const without = byId.get(untraced.eventId)!;
  t.ok('traceparent' in without, 'the header is there');
  t.equal(without.traceparent ?? null, null, 'with a null value');
});

t.test('an update that places a new column in a header waits until the rows written before it have streamed', async (t) => {
  const placement = 'transforms.outbox.table.fields.additional.placement';
  const older = { ...definition.config, [placement]: definition.config[placement]!.split(',').filter((entry) => !entry.startsWith('traceparent:')).join(',') };
  t.same(newlyPlacedColumns(older, definition.config), ['traceparent'], 'the release before placed every column but traceparent');
  t.teardown(async () => {
    await client.resume(definition.name);
    await applySource(cfg, COMMAND_API_SOURCE);
    // The task runs before it has reopened the slot; the tests after this one expect it streaming.
    await pollUntil('the slot active again', async () => ((await replicationSlotState(cfg, source))?.active ? true : undefined), { timeoutMs: 30_000 });
  });
  // The connector as an older release left it.
  await applyConnector(client, { name: definition.name, config: older });
  await insertEvent(uniqueName('order'), 1, Buffer.from([0, 3]));
  const logged: string[] = [];
  await awaitRowsBeforePlacedColumns(cfg, client, source, { log: (line) => logged.push(line), timeoutMs: 60_000 });
  t.match(logged.join('\n'), /places traceparent: waiting until outflow-outbox has streamed/);
  const lsn = /\(WAL ([0-9A-F]+\/[0-9A-F]+)\)/.exec(logged.join('\n'))?.[1];
  const { rows } = await db.query<{ passed: boolean }>('SELECT pg_wal_lsn_diff(confirmed_flush_lsn, $1::pg_lsn) >= 0 AS passed FROM pg_replication_slots WHERE slot_name = $2', [lsn, definition.config['slot.name']]);
  t.same(rows, [{ passed: true }], `the slot had confirmed the WAL up to ${lsn} when it returned`);

  // Paused, it confirms nothing more: the update refuses, naming the fix, and leaves the config as it was.
  await client.pause(definition.name);
  await insertEvent(uniqueName('order'), 1, Buffer.from([0, 4]));
  const refused = await awaitRowsBeforePlacedColumns(cfg, client, source, { timeoutMs: 3_000 }).catch((error: unknown) => error);
  t.type(refused, ConnectorNotRunning);
  t.match((refused as Error).message, /has not yet confirmed the outbox rows written before that column existed.*run `outflow connectors apply command-api` again/s);
  t.equal((await client.connectorConfig(definition.name))?.[placement], older[placement], 'the running config is unchanged');

  // An update that places nothing new does not wait, paused or not.
  await awaitRowsBeforePlacedColumns(cfg, client, { ...source, connector: { name: definition.name, config: older } }, { timeoutMs: 1 });
});

t.test('validation lists each rejected key and an invalid apply creates nothing', async (t) => {
  const wrongPassword = { ...definition.config, 'database.password': 'not-the-password' };
  const problems = await client.validate(definition.name, wrongPassword);
  t.ok(problems.length > 0, 'a wrong password is rejected');
  t.ok(problems.every((p) => p.field && p.message), 'each problem names its key');
  t.ok(problems.some((p) => p.field.startsWith('database.')), `a database.* key is named: ${JSON.stringify(problems)}`);

  const name = uniqueName('outflow-outbox-invalid');
  const error = await applyConnector(client, { name, config: wrongPassword }).catch((e: unknown) => e);
  t.type(error, ConnectorConfigInvalid);
  t.equal(await client.status(name), undefined, 'no connector was created');
});

t.test("the CDC password is never visible through Connect's REST API, only a reference Connect resolves", async (t) => {
  const show = async (route: string) => (await fetch(`${cfg.connect.url}/connectors/${encodeURIComponent(definition.name)}${route}`)).json();
  const reference = /^\$\{file:.+:cdc\.password\}$/;
  const connector = (await show('')) as { config: Record<string, string> };
  const tasks = (await show('/tasks')) as { config: Record<string, string> }[];
  t.match(connector.config['database.password'], reference, 'the connector config holds the reference');
  t.ok(tasks.length > 0);
  for (const task of tasks) t.match(task.config['database.password'], reference, 'so does every task config');
  t.equal((await client.status(definition.name))?.tasks[0]?.state, 'RUNNING', 'and the task, which got the resolved password, streams');
});

t.test('status: RUNNING and the replication slot lag in bytes', async (t) => {
  const status = await client.status(definition.name);
  t.equal(status?.connector.state, 'RUNNING');
  const slot = await replicationSlotState(cfg, source);
  t.type(slot?.lagBytes, 'number');
  t.equal(slot?.active, true);

  const cli = spawnSync(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'connectors', 'status', COMMAND_API_SOURCE, '--json'], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  const printed = JSON.parse(cli.stdout) as { status: { connector: { state: string } }; slot: { lagBytes: number } };
  t.equal(printed.status.connector.state, 'RUNNING');
  t.type(printed.slot.lagBytes, 'number');
});

t.test("status: the slot's WAL is bounded and its state, retained WAL and heartbeat are shown", async (t) => {
  const slot = (await replicationSlotState(cfg, source))!;
  // Postgres shows the bound in its own units (2GB as 2GB, 512MB as 512MB).
  t.equal(slot.maxSlotWalKeepSize, cfg.postgres.maxSlotWalKeepSize, 'the local stack sets max_slot_wal_keep_size from the config');
  t.ok(slot.walStatus === 'reserved' || slot.walStatus === 'extended', `a healthy slot is within its bound (${slot.walStatus})`);
  t.type(slot.retainedBytes, 'number');
  t.type(slot.safeWalBytes, 'number', 'with a bound, Postgres says how much more WAL is safe');
  t.equal(slotWarning(slot, source), undefined);
  // The connector's heartbeat (heartbeat.interval.ms) writes write.cdc_heartbeat while the outbox is quiet.
  const beating = await pollUntil('a connector heartbeat', async () => {
    const state = await replicationSlotState(cfg, source);
    return state?.heartbeatAgeSeconds !== null && state!.heartbeatAgeSeconds < 60 ? state : undefined;
  }, { timeoutMs: 60_000 });
  t.ok(beating.heartbeatAgeSeconds! >= 0);

  const cli = spawnSync(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'connectors', 'status', COMMAND_API_SOURCE], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  t.match(cli.stdout, /replication slot \S+: active, (reserved|extended), lag \d+ bytes .*last heartbeat [\d.]+ s ago/);
  t.match(cli.stdout, new RegExp(`bound max_slot_wal_keep_size = ${cfg.postgres.maxSlotWalKeepSize}`));
});

t.test('a slot past its bound or invalidated is a warning with the fix', async (t) => {
  const base = (await replicationSlotState(cfg, source))!;
  t.match(slotWarning({ ...base, walStatus: 'unreserved' }, source), { walStatus: 'unreserved', fix: /connectors restart command-api/ });
  t.match(slotWarning({ ...base, walStatus: 'lost' }, source), { walStatus: 'lost', fix: /write\.outbox.*connectors recover command-api/ });
  t.equal(slotWarning({ ...base, walStatus: 'extended' }, source), undefined);
});

t.test('connectors list: every declared source with its slot lag, and a connector Connect runs that no declaration names', async (t) => {
  const stray = uniqueName('outflow-stray');
  const straySlot = stray.replaceAll('-', '_');
  // Created stopped: it never runs, so it never makes its slot; it is listed all the same.
  await client.createStopped(stray, { ...definition.config, 'slot.name': straySlot, 'publication.name': 'outflow_outbox', 'topic.prefix': stray });
  t.teardown(() => client.delete(stray));
  const cli = spawnSync(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'connectors', 'list', '--json'], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  const rows = JSON.parse(cli.stdout) as { source: string | null; connector: string; state: string; declared: boolean; slotName: string | null; slotExists: boolean | null; slotLagBytes: number | null }[];
  const declared = rows.find((r) => r.source === COMMAND_API_SOURCE);
  t.match(declared, { connector: definition.name, state: 'RUNNING', declared: true, slotName: source.slot, slotExists: true });
  t.type(declared?.slotLagBytes, 'number', 'the declared source shows its slot lag');
  t.ok(rows.some((r) => r.source === 'payments'), 'the second source is listed too');
  t.match(rows.find((r) => r.connector === stray), { source: null, declared: false, state: 'STOPPED', slotName: straySlot, slotExists: false });
  const text = spawnSync(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'connectors', 'list'], { encoding: 'utf8' });
  t.match(text.stdout, new RegExp(`not declared\\s+${stray}\\s+STOPPED\\s+-\\s+${straySlot}: no slot`));
});
