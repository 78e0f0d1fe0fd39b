import fs from 'node:fs';
import t from 'tap';
import { newlyPlacedColumns } from '../../connectors/headerPlacementUpgrade.ts';
import { loadConfig } from '../../lib/config.ts';
import { ConnectorTemplateError } from '../../lib/errors.ts';
import { renderConnectorTemplate } from '../../connectors/connectorConfig.ts';
import { COMMAND_API_SOURCE, declaredSources, sourceConnector, sourceNamed, sourceTemplateFile } from '../../connectors/sourceConnector.ts';
import { AGGREGATE_TYPES, topicOf } from '../../schemas/eventCatalog.ts';

const secret = 'cdc-Secret-123';
const cfg = loadConfig({ OUTFLOW_PG_CDC_PASSWORD: secret, OUTFLOW_PG_PORT: '25432', OUTFLOW_EVENT_PARTITIONS: '6' });
const template = fs.readFileSync(sourceTemplateFile, 'utf8');

t.test('command-api renders exactly what connectors/outbox-connector.json rendered', async (t) => {
  // The fixture is the old file's output with this config, saved before the file was removed:
  // the same connector, slot, publication and settings, so a deployment keeps its offsets and slot.
  const fixtureConfig = loadConfig({
    OUTFLOW_PG_HOST: 'pg.example',
    OUTFLOW_PG_PORT: '25432',
    OUTFLOW_PG_WRITE_DB: 'fixture_write',
    OUTFLOW_PG_CDC_USER: 'fixture_cdc',
    OUTFLOW_CONNECT_SECRETS_FILE: '/run/secrets/outflow-secrets.properties',
    OUTFLOW_EVENT_PARTITIONS: '6',
  });
  const fixture = fs.readFileSync(new URL('fixtures/command-api-connector.json', import.meta.url), 'utf8');
  const rendered = sourceConnector(fixtureConfig, COMMAND_API_SOURCE);
  t.same(rendered, JSON.parse(fixture), 'the same name and settings');
  t.equal(`${JSON.stringify(rendered, null, 2)}\n`, fixture, 'in the same order, byte for byte');
});

t.test('every placeholder of every source is filled from the config and its declaration', async (t) => {
  for (const source of declaredSources(cfg)) {
    const { config } = source.connector;
    for (const [key, value] of Object.entries(config)) t.notMatch(value, /\$\{(?!routedByValue\}|file:)/, `${source.name}: ${key} has no placeholder left`);
    t.equal(config['database.password'], `\${file:${cfg.connect.secretsFile}:cdc.password}`, `${source.name}: the password is a reference Connect resolves on its host`);
    t.notOk(JSON.stringify(config).includes(secret), `${source.name}: the rendered config carries no password`);
    t.equal(config['database.port'], '25432');
    t.equal(config['database.user'], cfg.postgres.cdcUser);
    t.equal(config['topic.creation.default.partitions'], '6');
  }
});

t.test('payments: its own database, outbox, slot, publication and topic prefix', async (t) => {
  const source = sourceNamed(cfg, 'payments');
  t.match(source, { name: 'payments', database: cfg.postgres.paymentsDatabase, outboxTable: 'payments.outbox', heartbeatTable: 'payments.cdc_heartbeat', slot: 'outflow_payments', topics: ['events.payment'] });
  t.equal(source.database, 'outflow_payments');
  t.match(source.connector, {
    name: 'outflow-payments',
    config: {
      'database.dbname': 'outflow_payments',
      'topic.prefix': 'outflow-payments',
      'slot.name': 'outflow_payments',
      'publication.name': 'outflow_payments',
      'table.include.list': 'payments\\.outbox,payments\\.cdc_heartbeat',
      'heartbeat.interval.ms': '10000',
      'heartbeat.action.query': 'INSERT INTO payments.cdc_heartbeat (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at',
      'predicates.isOutbox.pattern': 'outflow-payments\\.payments\\.outbox',
      'predicates.isHeartbeatTable.pattern': 'outflow-payments\\.payments\\.cdc_heartbeat',
      'transforms.heartbeatRowsToHeartbeatTopic.replacement': '__debezium-heartbeat.outflow-payments',
    },
  });
  t.equal(sourceNamed(loadConfig({ OUTFLOW_PG_PAYMENTS_DB: 'elsewhere' }), 'payments').connector.config['database.dbname'], 'elsewhere', 'OUTFLOW_PG_PAYMENTS_DB names it');
});

t.test("every aggregate type is published by exactly one source, on the event catalog's topic", async (t) => {
  const sources = declaredSources(cfg);
  for (const aggregate of AGGREGATE_TYPES) t.equal(sources.filter((s) => s.aggregates.includes(aggregate)).length, 1, `${aggregate}: one source`);
  for (const source of sources) {
    const replacement = source.connector.config['transforms.outbox.route.topic.replacement'] ?? '';
    t.equal(replacement, 'events.${routedByValue}', "Debezium's own placeholder survives rendering");
    for (const aggregate of source.aggregates) t.ok(source.topics.includes(replacement.replace('${routedByValue}', aggregate)), `${source.name}: ${topicOf(aggregate)}`);
  }
});

t.test('headers for consumers, no envelope: the value stays the raw payload bytes', async (t) => {
  const { config } = sourceConnector(cfg, COMMAND_API_SOURCE);
  const placement = config['transforms.outbox.table.fields.additional.placement'] ?? '';
  t.same(placement.split(',').sort(), ['aggregate_version:header:aggregateVersion', 'event_id:header:eventId', 'event_type:header:eventType', 'traceparent:header:traceparent']);
  t.equal(config['value.converter'], 'io.debezium.converters.BinaryDataConverter');
  t.equal(config['binary.handling.mode'], 'bytes');
});

t.test('neither the template nor a declaration holds a secret', async (t) => {
  const declarations = fs.readdirSync(new URL('../../connectors/sources/', import.meta.url)).map((f) => fs.readFileSync(new URL(`../../connectors/sources/${f}`, import.meta.url), 'utf8'));
  for (const text of [template, ...declarations]) {
    t.notOk(text.includes(secret));
    t.notOk(text.includes(loadConfig({}).postgres.cdcPassword), 'not even the local default password');
  }
  t.match(template, /"database\.password": "\$\{OUTFLOW_PG_CDC_PASSWORD_REF\}"/);
});

t.test('an unknown placeholder is refused by name', async (t) => {
  const text = JSON.stringify({ name: 'x', config: { a: '${NOPE}', b: '${ALSO_NOPE}-${KNOWN}', c: '$${literal}' } });
  const error = t.throws(() => renderConnectorTemplate(text, { KNOWN: 'k' }, 'x.json')) as unknown;
  t.type(error, ConnectorTemplateError);
  t.match((error as ConnectorTemplateError).message, /x\.json uses unknown placeholder\(s\) \$\{NOPE\}, \$\{ALSO_NOPE\}/);
  t.same((error as ConnectorTemplateError).details.placeholders, ['NOPE', 'ALSO_NOPE']);
  t.same(renderConnectorTemplate(JSON.stringify({ name: 'x', config: { b: '${KNOWN}', c: '$${literal}' } }), { KNOWN: 'k' }).config, { b: 'k', c: '${literal}' });
});

t.test('a template that is not {name, config: {string: string}} is refused', async (t) => {
  t.throws(() => renderConnectorTemplate(JSON.stringify({ name: 'x', config: { partitions: 12 } }), {}), ConnectorTemplateError);
});

t.test('the outbox columns a connector update places anew', async (t) => {
  const placement = 'transforms.outbox.table.fields.additional.placement';
  const config = (list: string) => ({ [placement]: list });
  t.same(newlyPlacedColumns(config('event_id:header:eventId'), config('event_id:header:eventId,traceparent:header:traceparent')), ['traceparent']);
  t.same(newlyPlacedColumns(config('event_id:header:eventId,traceparent:header:tp'), config('traceparent:header:traceparent, event_id:header')), [], 'a renamed alias places no new column');
  t.same(newlyPlacedColumns(undefined, config('b:header,a:envelope:x')), ['a', 'b'], 'against no connector, every column is new');
  t.same(newlyPlacedColumns(config('a:header'), {}), [], 'removing a placement is no new column');
});
