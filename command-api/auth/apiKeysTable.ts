// The write database's api_keys table as a stored-key lookup for the command API's
// authenticator. Kept apart from the authenticator so that a process without write
// credentials (the query API) can authenticate without importing anything of the write side.
import type pg from 'pg';
import type { StoredApiKeyLookup } from './apiKeyAuthenticator.ts';

export function apiKeysTable(pool: pg.Pool): StoredApiKeyLookup {
  return async (digest) => {
    const { rows } = await pool.query<{ name: string; role: string; customer_id: string | null }>(
      'SELECT name, role, customer_id FROM write.api_keys WHERE key_sha256 = $1',
      [digest],
    );
    const row = rows[0];
    return row ? { name: row.name, role: row.role, customerId: row.customer_id } : undefined;
  };
}
