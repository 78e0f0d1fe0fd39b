import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { OutflowError } from '../../lib/errors.ts';
import { eventSchemas, loadSchemaFile, type AvroFieldJson, type LocalSchema } from '../../schemas/avroSchemas.ts';
import { checkCompatibility } from '../../schemas/compatibility.ts';
import { EVENT_TYPES, eventCatalog, type EventType } from '../../schemas/eventCatalog.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import { exampleEvents } from '../../schemas/exampleEvents.ts';
import { RegistryClient } from '../../schemas/registryClient.ts';
import { registerCatalogSchemas, registerSchemas } from '../../schemas/schemaRegistration.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

await ensureStack('postgres', 'registry');
const registry = new RegistryClient(config().registry.url);
const cli = path.join(config().repoRoot, 'bin', 'outflow.js');

// Avro namespaces allow letters, digits and underscores only.
const namespace = `outflow.test.${uniqueName('schemas').replace(/[^A-Za-z0-9]/g, '_')}`;
const subject = `${namespace}.OrderShipped`;

/** A directory holding OrderShipped under the test's own namespace, its fields changed. */
function schemaDir(change: (fields: AvroFieldJson[]) => AvroFieldJson[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-schemas-'));
  const json = structuredClone(eventSchemas().OrderShipped.json);
  fs.writeFileSync(path.join(dir, 'OrderShipped.avsc'), JSON.stringify({ ...json, namespace, fields: change(json.fields ?? []) }, null, 2));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A codec whose OrderShipped is the test's schema (the other types are unused here). */
function codecFor(local: LocalSchema, schemaId: number): EventCodec {
  const schemaIds = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, -1 - i])) as Record<EventType, number>;
  return new EventCodec({
    schemaIds: { ...schemaIds, OrderShipped: schemaId },
    schemaById: (id) => registry.schemaById(id),
    schemas: { ...eventSchemas(), OrderShipped: local },
  });
}

t.teardown(() => registry.deleteSubject(subject));

t.test('a schema evolves: optional field passes, removing a required field is refused by name', async (t) => {
  const v1Dir = schemaDir((fields) => fields);
  const first = await registerSchemas(config(), { dir: v1Dir });
  t.match(first.registered, [{ subject, version: 1, action: 'registered' }], 'the first version is registered');
  t.equal(await registry.compatibility(subject), 'BACKWARD', 'the subject is set to BACKWARD');
  const v1 = loadSchemaFile(path.join(v1Dir, 'OrderShipped.avsc'));
  const v1Id = first.registered[0]?.id ?? 0;
  const oldBytes = codecFor(v1, v1Id).encode('OrderShipped', exampleEvents.OrderShipped);

  const v2Dir = schemaDir((fields) => [...fields, { name: 'estimatedDeliveryAt', type: ['null', 'long'], default: null }]);
  t.match(await checkCompatibility(config(), { dir: v2Dir }), [{ subject, status: 'compatible', problems: [] }], 'an added optional field passes the check');
  const second = await registerSchemas(config(), { dir: v2Dir });
  t.match(second.registered, [{ subject, version: 2, action: 'new version' }]);
  const v2 = loadSchemaFile(path.join(v2Dir, 'OrderShipped.avsc'));
  const v2Codec = codecFor(v2, second.registered[0]?.id ?? 0);
  t.same(
    await v2Codec.decode(oldBytes),
    { eventType: 'OrderShipped', schemaId: v1Id, event: { ...exampleEvents.OrderShipped, estimatedDeliveryAt: null } },
    'bytes written with version 1 decode into version 2, the new field at its default',
  );
  t.match(await checkCompatibility(config(), { dir: v2Dir }), [{ status: 'unchanged' }], 'once registered it is unchanged');

  const removedDir = schemaDir((fields) => fields.filter((field) => field.name !== 'customerId'));
  const removedText = loadSchemaFile(path.join(removedDir, 'OrderShipped.avsc')).text;
  t.comment(`the registry itself (BACKWARD) calls the removal compatible: ${await registry.isCompatibleWithLatest(subject, removedText)}`);
  const [removal] = await checkCompatibility(config(), { dir: removedDir });
  t.equal(removal?.status, 'incompatible');
  t.match(removal?.problems, [/^field `customerId` was removed, but it has no default\b.*\(against version 1, 2\)$/]);
  const refused = await registerSchemas(config(), { dir: removedDir }).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(refused instanceof OutflowError && refused.code === 'OUTFLOW_ERR_SCHEMA_INCOMPATIBLE', 'register refuses');
  t.same(await registry.versions(subject), [1, 2], 'and registers nothing');

  const run = spawnSync(process.execPath, [cli, 'schemas', 'check', '--dir', removedDir], { encoding: 'utf8' });
  t.equal(run.status, 1, '`outflow schemas check` exits 1');
  t.match(run.stdout, new RegExp(`${subject.replace(/\./g, '\\.')}\\s+incompatible`), 'the table names the subject');
  t.match(run.stderr, new RegExp(`${subject.replace(/\./g, '\\.')}: field \`customerId\` was removed`), 'the error names subject and field');
  t.match(run.stderr, /OUTFLOW_ERR_SCHEMA_INCOMPATIBLE/);

  const requiredDir = schemaDir((fields) => [...fields, { name: 'warehouse', type: 'string' }]);
  t.equal(await registry.isCompatibleWithLatest(subject, loadSchemaFile(path.join(requiredDir, 'OrderShipped.avsc')).text), false, 'the registry refuses a new field without default');
  t.match(await checkCompatibility(config(), { dir: requiredDir }), [{ status: 'incompatible', problems: [/^new field `warehouse` has no default/] }]);
});

t.test('the catalog registers and every event type round-trips through the registry ids', async (t) => {
  const { registered } = await registerCatalogSchemas(config());
  t.same(registered.map((r) => r.subject), EVENT_TYPES.map((type) => eventCatalog[type].subject));
  const again = await registerCatalogSchemas(config());
  t.ok(again.registered.every((r) => r.action === 'unchanged'), 'registering twice changes nothing');

  const codec = await EventCodec.connect(config());
  for (const type of EVENT_TYPES) {
    const id = registered.find((r) => r.subject === eventCatalog[type].subject)?.id;
    t.equal(codec.schemaIdOf(type), id, `${type} encodes with its registered id`);
    const bytes = codec.encode(type, exampleEvents[type]);
    t.equal(bytes.readInt32BE(1), id);
    // A fresh codec has only the ids; decoding proves the id resolves in the registry.
    t.same(await (await EventCodec.connect(config())).decode(bytes), { eventType: type, schemaId: id, event: exampleEvents[type] });
  }
  const listed = spawnSync(process.execPath, [cli, 'schemas', 'list', '--json'], { encoding: 'utf8' });
  t.equal(listed.status, 0);
  const subjects = JSON.parse(listed.stdout) as { subject: string; compatibility: string }[];
  t.match(subjects.find((s) => s.subject === 'outflow.events.OrderPlaced'), { compatibility: 'BACKWARD' });
});
