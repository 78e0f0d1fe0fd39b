import fs from 'node:fs';
import t from 'tap';
import { newlyPlacedColumns } from '../../connectors/headerPlacementUpgrade.ts';
import { loadConfig } from '../../lib/config.ts';
import { ConnectorTemplateError } from '../../lib/errors.ts';
import { outboxConnector, outboxConnectorTemplateFile, renderConnectorTemplate } from '../../connectors/connectorConfig.ts';
import { AGGREGATE_TYPES, topicOf } from '../../schemas/eventCatalog.ts';

const secret = 'cdc-Secret-123';
const cfg = loadConfig({ OUTFLOW_PG_CDC_PASSWORD: secret, OUTFLOW_PG_PORT: '25432', OUTFLOW_EVENT_PARTITIONS: '6' });
const template = fs.readFileSync(outboxConnectorTemplateFile, 'utf8');

t.test('every placeholder of the outbox template is filled from the config', async (t) => {
  const { name, config } = outboxConnector(cfg);
  t.equal(name, 'outflow-outbox');
  for (const [key, value] of Object.entries(config)) {
    t.notMatch(value, /\$\{(?!routedByValue\}|file:)/, `${key} has no placeholder left`);
  }
  t.equal(config['database.password'], `\${file:${cfg.connect.secretsFile}:cdc.password}`, 'the password is a reference Connect resolves on its host');
  t.notOk(JSON.stringify(config).includes(secret), 'the rendered config carries no password');
  t.equal(config['database.port'], '25432');
  t.equal(config['database.user'], cfg.postgres.cdcUser);
  t.equal(config['database.dbname'], cfg.postgres.writeDatabase);
  t.equal(config['topic.creation.default.partitions'], '6');
});

t.test("the router's topic is the event catalog's topic for every aggregate type", async (t) => {
  const replacement = outboxConnector(cfg).config['transforms.outbox.route.topic.replacement'] ?? '';
  t.equal(replacement, 'events.${routedByValue}', "Debezium's own placeholder survives rendering");
  for (const aggregate of AGGREGATE_TYPES) t.equal(replacement.replace('${routedByValue}', aggregate), topicOf(aggregate));
});

t.test('headers for consumers, no envelope: the value stays the raw payload bytes', async (t) => {
  const { config } = outboxConnector(cfg);
  const placement = config['transforms.outbox.table.fields.additional.placement'] ?? '';
  t.same(placement.split(',').sort(), ['aggregate_version:header:aggregateVersion', 'event_id:header:eventId', 'event_type:header:eventType', 'traceparent:header:traceparent']);
  t.equal(config['value.converter'], 'io.debezium.converters.BinaryDataConverter');
  t.equal(config['binary.handling.mode'], 'bytes');
});

t.test('the template file holds no secret', async (t) => {
  t.notOk(template.includes(secret));
  t.notOk(template.includes(loadConfig({}).postgres.cdcPassword), 'not even the local default password');
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
