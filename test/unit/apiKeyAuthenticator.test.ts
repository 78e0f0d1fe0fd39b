// The API key authenticator both APIs share: configured keys and their roles, stored keys found
// by digest and trusted for a while, unknown or malformed keys refused (401), and a key that
// proved valid remembered (a stored one looked up once while it is trusted).
import t, { type Test } from 'tap';
import { ApiKeyAuthenticator, keyDigest, type StoredApiKey } from '../../command-api/auth/apiKeyAuthenticator.ts';
import { Unauthenticated } from '../../lib/errors.ts';

const ADMIN = 'admin-key-0123456789';
const ALICE = 'alice-key-0123456789';
const keys = [
  { name: 'admin', key: ADMIN, role: 'admin' as const },
  { name: 'alice', key: ALICE, role: 'customer' as const, customerId: 'customer-1' },
];

/** A table of stored keys that counts its lookups. */
function storedKeys(rows: Record<string, StoredApiKey>) {
  const byDigest = new Map(Object.entries(rows).map(([key, row]) => [keyDigest(key), row]));
  const lookups: string[] = [];
  return {
    lookups,
    lookUp: async (digest: string) => {
      lookups.push(digest);
      return byDigest.get(digest);
    },
  };
}

async function refused(t: Test, auth: ApiKeyAuthenticator, header: string | undefined, what: string) {
  await t.rejects(auth.authenticate(header), Unauthenticated, what);
}

t.test('configured keys: each its role; the same key again, the same principal', async (t) => {
  const auth = new ApiKeyAuthenticator(keys);
  t.same(await auth.authenticate(`Bearer ${ADMIN}`), { name: 'admin', role: 'admin' });
  t.same(await auth.authenticate(`Bearer ${ALICE}`), { name: 'alice', role: 'customer', customerId: 'customer-1' });
  t.same(await auth.authenticate(`bearer  ${ALICE} `), { name: 'alice', role: 'customer', customerId: 'customer-1' }, 'the scheme in any case, spaces around the key');
  for (let i = 0; i < 3; i += 1) t.same(await auth.authenticate(`Bearer ${ALICE}`), { name: 'alice', role: 'customer', customerId: 'customer-1' }, `again (${i})`);
});

t.test('no key, a malformed header or an unknown key is refused, also after valid keys were remembered', async (t) => {
  const auth = new ApiKeyAuthenticator(keys);
  await auth.authenticate(`Bearer ${ADMIN}`);
  for (const [header, what] of [
    [undefined, 'no header'],
    ['', 'empty'],
    [ADMIN, 'no scheme'],
    [`Basic ${ADMIN}`, 'another scheme'],
    [`Bearer ${ADMIN} extra`, 'two words'],
    [`Bearer ${ADMIN.slice(0, -1)}`, 'a prefix of a key'],
    [`Bearer ${ADMIN}0`, 'a key and more'],
    [`Bearer ${ADMIN.toUpperCase()}`, 'a key in another case'],
  ] as const) await refused(t, auth, header, what);
});

t.test('stored keys: found by digest, trusted for a while without asking again; unknown ones asked every time', async (t) => {
  const table = storedKeys({
    'stored-admin-key-0000': { name: 'ops', role: 'admin', customerId: null },
    'stored-bob-key-000000': { name: 'bob', role: 'customer', customerId: 'customer-2' },
    'stored-broken-key-000': { name: 'broken', role: 'customer', customerId: '' },
  });
  const auth = new ApiKeyAuthenticator(keys, table.lookUp);
  t.same(await auth.authenticate('Bearer stored-bob-key-000000'), { name: 'bob', role: 'customer', customerId: 'customer-2' });
  t.same(await auth.authenticate('Bearer stored-bob-key-000000'), { name: 'bob', role: 'customer', customerId: 'customer-2' });
  t.same(table.lookups, [keyDigest('stored-bob-key-000000')], 'looked up once, by its digest only');
  t.same(await auth.authenticate('Bearer stored-admin-key-0000'), { name: 'ops', role: 'admin' });
  await auth.authenticate(`Bearer ${ADMIN}`);
  t.equal(table.lookups.length, 2, 'a configured key is never looked up');
  await refused(t, auth, 'Bearer never-issued-key-00000', 'an unknown key');
  await refused(t, auth, 'Bearer never-issued-key-00000', 'the same unknown key again');
  t.equal(table.lookups.filter((d) => d === keyDigest('never-issued-key-00000')).length, 2, 'an unknown key is not remembered');
  await refused(t, auth, 'Bearer stored-broken-key-000', 'a customer key without a customer id is no key (not an admin)');
});

t.test('without a table of stored keys (the query API) only configured keys are accepted', async (t) => {
  const auth = new ApiKeyAuthenticator(keys);
  await refused(t, auth, 'Bearer stored-admin-key-0000', 'a key only a table could know');
});
