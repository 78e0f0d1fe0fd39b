import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

t.test('defaults point at the local stack on non-standard ports', async (t) => {
  const config = loadConfig({});
  t.equal(config.postgres.port, 15432);
  t.equal(config.redis.url, 'redis://127.0.0.1:16379');
  t.same(config.kafka.brokers, ['127.0.0.1:19092']);
  t.equal(config.registry.url, 'http://127.0.0.1:18081/apis/ccompat/v7');
  t.equal(config.elasticsearch.url, 'http://127.0.0.1:19200');
});

t.test('environment overrides defaults and derived URLs follow the host', async (t) => {
  const config = loadConfig({ OUTFLOW_HOST: '127.0.0.2', OUTFLOW_REDIS_PORT: '7000', OUTFLOW_KAFKA_BROKERS: 'a:1,b:2' });
  t.equal(config.redis.url, 'redis://127.0.0.2:7000');
  t.same(config.kafka.brokers, ['a:1', 'b:2']);
  t.equal(config.postgres.host, '127.0.0.2');
});

t.test('invalid values are rejected with the variable named', async (t) => {
  t.throws(() => loadConfig({ OUTFLOW_PG_PORT: '99999' }), new ConfigError('OUTFLOW_PG_PORT', '99999', 'a TCP port between 1 and 65535'));
  t.throws(() => loadConfig({ OUTFLOW_CONNECT_URL: 'not a url' }), { code: 'OUTFLOW_ERR_CONFIG', message: /OUTFLOW_CONNECT_URL/ });
  t.throws(() => loadConfig({ OUTFLOW_STACK_START_TIMEOUT_MS: '-5' }), { code: 'OUTFLOW_ERR_CONFIG' });
});

t.test('Elasticsearch shards and replicas: a count or a range that follows the nodes; anything else is refused by name', async (t) => {
  t.same(loadConfig({}).elasticsearch.shards, 1);
  t.same(loadConfig({}).elasticsearch.replicas, { autoExpand: '0-1' });
  t.same(loadConfig({ OUTFLOW_ES_SHARDS: '6', OUTFLOW_ES_REPLICAS: '2' }).elasticsearch, { ...loadConfig({}).elasticsearch, shards: 6, replicas: { count: 2 } });
  t.same(loadConfig({ OUTFLOW_ES_REPLICAS: '1-all' }).elasticsearch.replicas, { autoExpand: '1-all' });
  t.throws(() => loadConfig({ OUTFLOW_ES_REPLICAS: 'two' }), { code: 'OUTFLOW_ERR_CONFIG', message: /OUTFLOW_ES_REPLICAS.*0-1/ });
  t.throws(() => loadConfig({ OUTFLOW_ES_SHARDS: '0' }), { code: 'OUTFLOW_ERR_CONFIG', message: /OUTFLOW_ES_SHARDS/ });
});

t.test('the configuration is frozen all the way down', async (t) => {
  const config = loadConfig({});
  t.ok(Object.isFrozen(config));
  t.ok(Object.isFrozen(config.postgres));
  t.ok(Object.isFrozen(config.kafka.brokers));
});

t.test('API keys are parsed from OUTFLOW_API_KEYS and bad entries are refused without echoing keys', async (t) => {
  const config = loadConfig({ OUTFLOW_API_KEYS: 'ops=0123456789abcdef:admin, alice=fedcba9876543210:customer:c-42' });
  t.same(config.auth.apiKeys, [
    { name: 'ops', key: '0123456789abcdef', role: 'admin' },
    { name: 'alice', key: 'fedcba9876543210', role: 'customer', customerId: 'c-42' },
  ]);
  t.throws(() => loadConfig({ OUTFLOW_API_KEYS: 'bob=0123456789abcdef:customer' }), { code: 'OUTFLOW_ERR_CONFIG', message: /customer id/ });
  t.throws(() => loadConfig({ OUTFLOW_API_KEYS: 'bob=short:admin' }), { code: 'OUTFLOW_ERR_CONFIG', message: /^(?!.*short)/ });
  t.throws(() => loadConfig({ OUTFLOW_API_KEYS: 'bob=0123456789abcdef:root' }), { code: 'OUTFLOW_ERR_CONFIG' });
});
