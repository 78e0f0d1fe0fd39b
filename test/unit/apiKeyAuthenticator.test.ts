// The API key authenticator both APIs share: configured keys and their roles, stored keys found
// by digest and trusted for a while, unknown or malformed keys refused (401), a key that proved
// valid remembered, a key that failed remembered by digest (not asked again), and roles mapped
// explicitly (an unknown role is no principal at all).
import t, { type Test } from 'tap';
import { ApiKeyAuthenticator, keyDigest, type StoredApiKey } from '../../lib/auth/apiKeyAuthenticator.ts';
import { Unauthenticated } from '../../lib/errors.ts';

const ADMIN = 'admin-key-0123456789';
const ALICE = 'alice-key-0123456789';
const ANALYST = 'analyst-key-012345678';
const keys = [
  { name: 'admin', key: ADMIN, role: 'admin' as const },
  { name: 'alice', key: ALICE, role: 'customer' as const, customerId: 'customer-1' },
  { name: 'numbers', key: ANALYST, role: 'analyst' as const },
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

t.test('configured keys: each its role and a key id from its name; the same key again, the same principal', async (t) => {
  const auth = new ApiKeyAuthenticator(keys);
  t.same(await auth.authenticate(`Bearer ${ADMIN}`), { keyId: 'env:admin', name: 'admin', role: 'admin' });
  t.same(await auth.authenticate(`Bearer ${ANALYST}`), { keyId: 'env:numbers', name: 'numbers', role: 'analyst' });
  const alice = { keyId: 'env:alice', name: 'alice', role: 'customer', customerId: 'customer-1' };
  t.same(await auth.authenticate(`Bearer ${ALICE}`), alice);
  t.same(await auth.authenticate(`bearer  ${ALICE} `), alice, 'the scheme in any case, spaces around the key');
  for (let i = 0; i < 3; i += 1) t.same(await auth.authenticate(`Bearer ${ALICE}`), alice, `again (${i})`);
  t.same(auth.known(`Bearer ${ADMIN}`), { keyId: 'env:admin', name: 'admin', role: 'admin' }, 'a configured key is known without any lookup');
  t.equal(auth.known('Bearer never-issued-key-00000'), undefined, 'an unknown key is not known');
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

t.test('stored keys: found by digest, trusted for a while; a failed key is not asked again', async (t) => {
  const table = storedKeys({
    'stored-admin-key-0000': { keyId: 'key_ops', name: 'ops', role: 'admin', customerId: null },
    'stored-bob-key-000000': { keyId: 'key_bob', name: 'bob', role: 'customer', customerId: 'customer-2' },
    'stored-broken-key-000': { keyId: 'key_broken', name: 'broken', role: 'customer', customerId: '' },
    'stored-root-key-00000': { keyId: 'key_root', name: 'root', role: 'superuser', customerId: null },
    'stored-mixed-key-0000': { keyId: 'key_mixed', name: 'mixed', role: 'analyst', customerId: 'customer-2' },
  });
  const auth = new ApiKeyAuthenticator(keys, { lookUpStored: table.lookUp });
  const bob = { keyId: 'key_bob', name: 'bob', role: 'customer', customerId: 'customer-2' };
  t.same(await auth.authenticate('Bearer stored-bob-key-000000'), bob);
  t.same(await auth.authenticate('Bearer stored-bob-key-000000'), bob);
  t.same(table.lookups, [keyDigest('stored-bob-key-000000')], 'looked up once, by its digest only');
  t.same(auth.known('Bearer stored-bob-key-000000'), bob, 'a trusted stored key is known without a lookup');
  t.same(await auth.authenticate('Bearer stored-admin-key-0000'), { keyId: 'key_ops', name: 'ops', role: 'admin' });
  await auth.authenticate(`Bearer ${ADMIN}`);
  t.equal(table.lookups.length, 2, 'a configured key is never looked up');
  await refused(t, auth, 'Bearer never-issued-key-00000', 'an unknown key');
  await refused(t, auth, 'Bearer never-issued-key-00000', 'the same unknown key again');
  t.equal(table.lookups.filter((d) => d === keyDigest('never-issued-key-00000')).length, 1, 'a failed key is remembered: asked once');
  await refused(t, auth, 'Bearer stored-broken-key-000', 'a customer key without a customer id is no key (not an admin)');
  await refused(t, auth, 'Bearer stored-root-key-00000', 'an unknown role is no key');
  await refused(t, auth, 'Bearer stored-mixed-key-0000', 'an analyst key with a customer id is no key');
});

t.test('a stored key is trusted only for storedKeyTrustMs: then asked again (so a revocation takes effect)', async (t) => {
  let revoked = false;
  const lookups: string[] = [];
  const auth = new ApiKeyAuthenticator([], {
    storedKeyTrustMs: 1,
    lookUpStored: async (digest) => {
      lookups.push(digest);
      return revoked ? undefined : { keyId: 'key_carol', name: 'carol', role: 'analyst', customerId: null };
    },
  });
  t.same(await auth.authenticate('Bearer stored-carol-key-0000'), { keyId: 'key_carol', name: 'carol', role: 'analyst' });
  revoked = true;
  // Poll, not sleep: the trust lapses after 1 ms, whenever the next attempt comes.
  for (let attempt = 0; lookups.length < 2; attempt += 1) {
    await auth.authenticate('Bearer stored-carol-key-0000').catch(() => undefined);
    if (attempt > 1_000_000) {
      t.fail('the stored key was never asked again');
      break;
    }
  }
  await refused(t, auth, 'Bearer stored-carol-key-0000', 'refused once the table says it is revoked');
});

t.test('without a table of stored keys only configured keys are accepted', async (t) => {
  const auth = new ApiKeyAuthenticator(keys);
  await refused(t, auth, 'Bearer stored-admin-key-0000', 'a key only a table could know');
});
