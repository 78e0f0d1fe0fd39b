// Pure rules of API keys: roles mapped explicitly, who may read reports and orders, which
// configured keys a service accepts by the address it listens on (the built-in keys only on
// loopback; an empty OUTFLOW_API_KEYS is no keys), the refusal to start without any key, and
// the retention argument of `outflow commands prune`.
import t from 'tap';
import { assertSomeKeyAccepted, configuredKeysFor, isLoopback, LOCAL_API_KEYS } from '../../lib/auth/localKeys.ts';
import { mayReadCustomer, mayReadReports, toPrincipal } from '../../lib/auth/roles.ts';
import { loadConfig } from '../../lib/config.ts';
import { parseRetention } from '../../command-api/processedCommandsPruner.ts';

t.test('roles are mapped explicitly: anything else is no principal', async (t) => {
  t.same(toPrincipal('k1', 'ops', 'admin', null), { keyId: 'k1', name: 'ops', role: 'admin' });
  t.same(toPrincipal('k2', 'bi', 'analyst', null), { keyId: 'k2', name: 'bi', role: 'analyst' });
  t.same(toPrincipal('k3', 'alice', 'customer', 'c-1'), { keyId: 'k3', name: 'alice', role: 'customer', customerId: 'c-1' });
  for (const [role, customerId] of [['superuser', null], ['Admin', null], ['', null], ['customer', null], ['customer', ''], ['admin', 'c-1'], ['analyst', 'c-1']] as const) {
    t.equal(toPrincipal('k', 'n', role, customerId), undefined, `role ${JSON.stringify(role)} with customer ${JSON.stringify(customerId)}`);
  }
});

t.test('sales reports: admin and analyst; orders: their customer and admin, not an analyst', async (t) => {
  const admin = { keyId: 'a', name: 'a', role: 'admin' } as const;
  const analyst = { keyId: 'b', name: 'b', role: 'analyst' } as const;
  const alice = { keyId: 'c', name: 'c', role: 'customer', customerId: 'c-1' } as const;
  t.same([admin, analyst, alice].map(mayReadReports), [true, true, false]);
  t.same([admin, analyst, alice].map((p) => mayReadCustomer(p, 'c-1')), [true, false, true]);
  t.equal(mayReadCustomer(alice, 'c-2'), false);
});

t.test('loopback: 127.0.0.0/8, ::1 and localhost; nothing else', async (t) => {
  for (const host of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) t.ok(isLoopback(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', 'example.com', '127.example.com', '']) t.notOk(isLoopback(host), host || '(empty)');
});

t.test('the built-in keys only when OUTFLOW_API_KEYS is unset and the service is on loopback; empty means none', async (t) => {
  const unset = loadConfig({}).auth.apiKeys;
  t.equal(unset, null, 'unset is not the defaults yet: that depends on the address');
  t.same(configuredKeysFor('127.0.0.1', unset), LOCAL_API_KEYS);
  t.same(configuredKeysFor('0.0.0.0', unset), [], 'beyond loopback: no built-in keys');
  const empty = loadConfig({ OUTFLOW_API_KEYS: '' }).auth.apiKeys;
  t.same(empty, [], 'set but empty: no keys');
  t.same(configuredKeysFor('127.0.0.1', empty), [], 'not the defaults, even on loopback');
  const set = loadConfig({ OUTFLOW_API_KEYS: 'bi=0123456789abcdef:analyst' }).auth.apiKeys;
  t.same(configuredKeysFor('0.0.0.0', set), [{ name: 'bi', key: '0123456789abcdef', role: 'analyst' }]);
});

t.test('OUTFLOW_API_KEYS: an unknown role, a customer id on another role, a name twice are refused without echoing keys', async (t) => {
  for (const [value, message] of [
    ['x=0123456789abcdef:superuser', /known role on x.*admin, analyst, customer/],
    ['x=0123456789abcdef:analyst:c-1', /no customer id on the analyst key x/],
    ['x=0123456789abcdef:admin,x=fedcba9876543210:analyst', /x appears twice/],
  ] as const) {
    t.throws(() => loadConfig({ OUTFLOW_API_KEYS: value }), { code: 'OUTFLOW_ERR_CONFIG', message }, value);
    t.throws(() => loadConfig({ OUTFLOW_API_KEYS: value }), { message: /^(?!.*0123456789abcdef)/ }, `${value}: the key is not in the message`);
  }
});

t.test('a service beyond loopback with no configured and no stored key refuses, naming the fix', async (t) => {
  t.throws(() => assertSomeKeyAccepted('command-api', '0.0.0.0', [], 0), { code: 'OUTFLOW_ERR_CONFIG', message: /0\.0\.0\.0.*OUTFLOW_API_KEYS.*outflow keys create/ });
  t.doesNotThrow(() => assertSomeKeyAccepted('command-api', '0.0.0.0', [], 1), 'a stored key is enough');
  t.doesNotThrow(() => assertSomeKeyAccepted('command-api', '0.0.0.0', LOCAL_API_KEYS, 0), 'a configured key is enough');
  t.doesNotThrow(() => assertSomeKeyAccepted('command-api', '127.0.0.1', [], 0), 'on loopback nobody else can call it anyway');
});

t.test('commands prune --older-than: a duration of at least 1h', async (t) => {
  t.equal(parseRetention('7d'), 7 * 86_400_000);
  t.equal(parseRetention('90m'), 90 * 60_000);
  t.equal(parseRetention('1h'), 3_600_000);
  t.throws(() => parseRetention('59m'), { message: /younger than 1h/ });
  t.throws(() => parseRetention('7 days'), { message: /not a duration/ });
  t.throws(() => parseRetention('-1d'), { message: /not a duration/ });
});
