// Source declarations (connectors/sources/<source>.json): each file checked alone (fields, shapes,
// its name), the set checked together (unique names, connectors, slots and topic prefixes; every
// aggregate type published once), every problem naming its file and field; and the CLI, which
// refuses a name no declaration has before it contacts anything.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { ConnectorTemplateError, SourceDeclarationInvalid, UnknownSource } from '../../lib/errors.ts';
import { checkSources, loadSourceDeclarations, parseSourceDeclaration, type SourceDeclaration } from '../../connectors/sourceDeclaration.ts';
import { declaredSources, renderSource, sourceNamed } from '../../connectors/sourceConnector.ts';
import { listedRow } from '../../connectors/sourceListing.ts';
import { AGGREGATE_TYPES } from '../../schemas/eventCatalog.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cfg = loadConfig({});

function declaration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'billing',
    connector: 'outflow-billing',
    database: '${OUTFLOW_PG_WRITE_DB}',
    outboxTable: 'billing.outbox',
    heartbeat: { table: 'billing.cdc_heartbeat', intervalMs: 10000 },
    slot: 'outflow_billing',
    publication: 'outflow_billing',
    topicPrefix: 'outflow-billing',
    aggregates: ['product'],
    ...overrides,
  };
}

const parse = (value: Record<string, unknown>, file = 'connectors/sources/billing.json') => parseSourceDeclaration(JSON.stringify(value), file);

function problemsOf(work: () => unknown): { file: string; field: string; message: string }[] {
  try {
    work();
  } catch (error) {
    if (error instanceof SourceDeclarationInvalid) return error.problems;
    throw error;
  }
  return [];
}

t.test('a complete declaration parses', async (t) => {
  const parsed = parse(declaration({ settings: { 'poll.interval.ms': '100' } }));
  t.match(parsed, { source: 'billing', heartbeat: { table: 'billing.cdc_heartbeat', intervalMs: 10000 }, aggregates: ['product'], settings: { 'poll.interval.ms': '100' } });
  t.same(parse(declaration()).settings, {}, 'settings are optional');
});

t.test('every missing field is named, with the file', async (t) => {
  const problems = problemsOf(() => parseSourceDeclaration('{}', 'connectors/sources/billing.json'));
  t.same(problems.map((p) => p.field).sort(), ['aggregates', 'connector', 'database', 'heartbeat', 'outboxTable', 'publication', 'slot', 'source', 'topicPrefix']);
  t.ok(problems.every((p) => p.file === 'connectors/sources/billing.json' && /is required|must be/.test(p.message)));
  const error = t.throws(() => parseSourceDeclaration('{}', 'connectors/sources/billing.json')) as SourceDeclarationInvalid;
  t.equal(error.code, 'OUTFLOW_ERR_SOURCE_DECLARATION');
  t.match(error.message, /connectors\/sources\/billing\.json: slot is required/);
});

t.test('malformed fields are refused by name', async (t) => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['not JSON', {}, '(file)', /is not JSON/],
    ['a typo', { slots: 'x' }, 'slots', /is not a field of a source declaration/],
    ['the file named after another source', { source: 'invoices' }, 'source', /file is named billing\.json/],
    ['a database that is not a placeholder', { database: 'outflow_billing' }, 'database', /\$\{VAR\} placeholder/],
    ['an unqualified outbox table', { outboxTable: 'outbox' }, 'outboxTable', /schema-qualified/],
    ['a quoted identifier', { slot: 'Outflow-Billing' }, 'slot', /replication slot name/],
    ['a heartbeat too often', { heartbeat: { table: 'billing.cdc_heartbeat', intervalMs: 10 } }, 'heartbeat.intervalMs', /at least 1000/],
    ['a heartbeat field typo', { heartbeat: { table: 'billing.cdc_heartbeat', intervalMs: 10000, interval: 5 } }, 'heartbeat.interval', /not a field of heartbeat/],
    ['the outbox as heartbeat', { heartbeat: { table: 'billing.outbox', intervalMs: 10000 } }, 'heartbeat.table', /not be the outbox table/],
    ['no aggregates', { aggregates: [] }, 'aggregates', /non-empty list/],
    ['an unknown aggregate', { aggregates: ['invoice'] }, 'aggregates', /"invoice", which is not an aggregate type/],
    ['an aggregate twice', { aggregates: ['product', 'product'] }, 'aggregates', /product twice/],
    ['a setting a field owns', { settings: { 'slot.name': 'other' } }, 'settings.slot.name', /is set by slot/],
    ['a setting that is not a string', { settings: { 'poll.interval.ms': 100 } }, 'settings.poll.interval.ms', /must be a string/],
  ];
  for (const [name, overrides, field, message] of cases) {
    const problems = problemsOf(() => (name === 'not JSON' ? parseSourceDeclaration('{', 'connectors/sources/billing.json') : parse(declaration(overrides))));
    t.equal(problems.length, 1, `${name}: one problem (${problems.map((p) => `${p.field} ${p.message}`).join(' | ')})`);
    t.match(problems[0], { file: 'connectors/sources/billing.json', field, message }, name);
  }
});

t.test('the declarations together: unique names, connectors, slots, prefixes; each aggregate once', async (t) => {
  const others = AGGREGATE_TYPES.filter((a) => a !== 'product');
  const a = parse(declaration());
  const rest = parse(declaration({ source: 'rest', connector: 'outflow-rest', slot: 'outflow_rest', topicPrefix: 'outflow-rest', aggregates: others }), 'connectors/sources/rest.json');
  t.doesNotThrow(() => checkSources([a, rest]));

  const clash = parse(declaration({ source: 'copy', aggregates: ['order'] }), 'connectors/sources/copy.json');
  const problems = problemsOf(() => checkSources([a, rest, clash]));
  t.same(problems.map((p) => `${p.file} ${p.field}`).sort(), [
    'connectors/sources/copy.json aggregates',
    'connectors/sources/copy.json connector',
    'connectors/sources/copy.json slot',
    'connectors/sources/copy.json topicPrefix',
  ]);
  t.match(problems.find((p) => p.field === 'slot')?.message, /"outflow_billing" is already declared by connectors\/sources\/billing\.json/);
  t.match(problems.find((p) => p.field === 'aggregates')?.message, /order is already published by connectors\/sources\/rest\.json/);

  const missing = problemsOf(() => checkSources([a]));
  t.same(missing.map((p) => p.message.replace(/ \(.*/, '')).sort(), others.map((o) => `no source publishes ${o}, an aggregate type of schemas/eventCatalog.ts: add it to the source whose outbox writes it`).sort());
  t.ok(missing.every((p) => p.file === 'connectors/sources/' && p.field === 'aggregates'));
});

t.test('a directory of declarations: read in name order, every file checked', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-sources-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'billing.json'), JSON.stringify(declaration({ aggregates: [...AGGREGATE_TYPES] })));
  t.same(loadSourceDeclarations(dir, dir).map((d: SourceDeclaration) => d.file), ['billing.json']);
  fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ source: 'broken' }));
  const problems = problemsOf(() => loadSourceDeclarations(dir, dir));
  t.ok(problems.length > 0 && problems.every((p) => p.file === 'broken.json'), 'the broken file is named');
});

t.test('placeholders: an unknown one in the database or the settings is refused, naming the file', async (t) => {
  const unknownDatabase = parse(declaration({ database: '${OUTFLOW_PG_BILLING_DB}' }));
  const error = t.throws(() => renderSource(unknownDatabase, cfg)) as ConnectorTemplateError;
  t.type(error, ConnectorTemplateError);
  t.match(error.message, /connectors\/sources\/billing\.json \(database\) uses unknown placeholder\(s\) \$\{OUTFLOW_PG_BILLING_DB\}/);
  const unknownSetting = parse(declaration({ settings: { 'poll.interval.ms': '${POLL}' } }));
  t.throws(() => renderSource(unknownSetting, cfg), { message: /billing\.json \(settings\) uses unknown placeholder\(s\) \$\{POLL\}/ });
  const literal = renderSource(parse(declaration({ settings: { 'custom.key': '$${x}-${OUTFLOW_EVENT_PARTITIONS}' } })), cfg);
  t.equal(literal.connector.config['custom.key'], `\${x}-${cfg.events.partitions}`, 'the same rules as the template');
});

t.test('a name no declaration has is refused, listing the declared ones', async (t) => {
  const error = t.throws(() => sourceNamed(cfg, 'nope')) as UnknownSource;
  t.type(error, UnknownSource);
  t.equal(error.code, 'OUTFLOW_ERR_UNKNOWN_SOURCE');
  t.match(error.message, /no source is named "nope"; declared sources: command-api, payments/);
  t.match((t.throws(() => sourceNamed(cfg, undefined)) as Error).message, /no source given: name one; declared sources: command-api, payments/);
  t.same(declaredSources(cfg).map((s) => s.name), ['command-api', 'payments']);
});

t.test('the CLI refuses an unknown or missing name before contacting anything', async (t) => {
  // Nothing listens on port 9: a command that contacted Connect or Postgres would fail otherwise.
  const env = { ...process.env, OUTFLOW_CONNECT_URL: 'http://127.0.0.1:9', OUTFLOW_PG_PORT: '9' };
  const outflow = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'outflow.js'), ...args], { cwd: repoRoot, encoding: 'utf8', env, timeout: 60_000 });
  for (const args of [['status', 'nope'], ['apply', 'nope'], ['validate', 'nope'], ['restart', 'nope'], ['pause', 'nope'], ['resume', 'nope'], ['delete', 'nope'], ['offsets', 'nope'], ['recover', 'nope'], ['render', 'nope']]) {
    const run = outflow('connectors', ...args);
    t.equal(run.status, 1, `connectors ${args.join(' ')} exits 1`);
    t.match(run.stderr, /outflow: no source is named "nope"; declared sources: command-api, payments .*\[OUTFLOW_ERR_UNKNOWN_SOURCE\]/, `connectors ${args.join(' ')}: the declared names`);
  }
  const noName = outflow('connectors', 'apply');
  t.equal(noName.status, 1);
  t.match(noName.stderr, /no source given: name one or pass --all; declared sources: command-api, payments.*\[OUTFLOW_ERR_UNKNOWN_SOURCE\]/);
  const both = outflow('connectors', 'apply', 'payments', '--all');
  t.equal(both.status, 1);
  t.match(both.stderr, /both a source \(payments\) and --all given/);
  const restart = outflow('connectors', 'restart');
  t.equal(restart.status, 1);
  t.match(restart.stderr, /no source given: name one; declared sources/);
});

t.test('connectors list: a row per connector, undeclared and uncreated ones said so', async (t) => {
  t.same(listedRow({ source: 'payments', connector: 'outflow-payments', state: 'not created', tasks: [], declared: true, slotName: 'outflow_payments', slotExists: false, slotLagBytes: null }), ['payments', 'outflow-payments', 'not created', '-', 'outflow_payments: no slot']);
  t.same(listedRow({ source: null, connector: 'old-one', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }], declared: false, slotName: null, slotExists: null, slotLagBytes: null }), ['not declared', 'old-one', 'RUNNING', '0 RUNNING', '-']);
  t.same(listedRow({ source: 'command-api', connector: 'outflow-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }], declared: true, slotName: 'outflow_outbox', slotExists: true, slotLagBytes: 56 }), ['command-api', 'outflow-outbox', 'RUNNING', '0 RUNNING', 'outflow_outbox: 56 bytes']);
});
