import t from 'tap';
import { config } from '../../lib/config.ts';
import { DEBEZIUM_POSTGRES_CONNECTOR } from '../../infra/local/components/kafkaConnect.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('postgres', 'kafka', 'kafka-connect');
const { connect, postgres } = config();

t.test('the REST API lists the Debezium Postgres connector plugin', async (t) => {
  const response = await fetch(`${connect.url}/connector-plugins`);
  t.equal(response.status, 200);
  const plugins = (await response.json()) as { class: string; type: string }[];
  t.ok(plugins.some((p) => p.class === DEBEZIUM_POSTGRES_CONNECTOR && p.type === 'source'));
});

const validate = async (overrides: Record<string, string>) => {
  const response = await fetch(`${connect.url}/connector-plugins/PostgresConnector/config/validate`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'outflow-validate',
      'connector.class': DEBEZIUM_POSTGRES_CONNECTOR,
      'database.hostname': postgres.host,
      'database.port': String(postgres.port),
      'database.user': postgres.cdcUser,
      'database.password': postgres.cdcPassword,
      'database.dbname': postgres.writeDatabase,
      'topic.prefix': 'outflow-validate',
      'plugin.name': 'pgoutput',
      ...overrides,
    }),
  });
  return (await response.json()) as { error_count: number; configs: { value: { name: string; errors: string[] } }[] };
};

t.test('a minimal Postgres connector config validates against the stack database', async (t) => {
  const result = await validate({});
  const errors = result.configs.filter((c) => c.value.errors.length).map((c) => `${c.value.name}: ${c.value.errors.join('; ')}`);
  t.same(errors, []);
  t.equal(result.error_count, 0);
});

t.test('a wrong password is reported by validation', async (t) => {
  const result = await validate({ 'database.password': 'wrong-password' });
  t.ok(result.error_count > 0);
});
