// Creating, listing and revoking stored API keys: the operator's side of auth.api_keys, as the
// read-model server's owner role (the APIs only ever read the table, as the query role). A key
// is 32 random bytes, shown once when it is created; the table keeps its SHA-256, which is
// enough for a secret of that entropy (nothing to slow down: there is no guessable input).
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Config } from '../config.ts';
import { NotFound } from '../errors.ts';
import { migrate } from '../sqlMigrator.ts';
import { keyDigest } from './apiKeyAuthenticator.ts';
import type { Role } from './roles.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface ApiKeyRecord {
  keyId: string;
  name: string;
  role: Role;
  customerId: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  key_id: string;
  name: string;
  role: Role;
  customer_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const toRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  keyId: row.key_id,
  name: row.name,
  role: row.role,
  customerId: row.customer_id,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** Runs `work` as the read server's owner role, with the key table's migrations applied first. */
async function withKeyTable<T>(config: Config, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { host, port, database, user, password, queryUser } = config.readModel.postgres;
  const client = new pg.Client({ host, port, database, user, password, application_name: 'outflow-keys' });
  await client.connect();
  try {
    await migrate(client, { directory: migrationsDir, historyTable: 'public.api_key_schema_migrations' });
    // Said outright rather than left to default privileges: the APIs read keys as this role.
    await client.query(`GRANT USAGE ON SCHEMA auth TO ${pg.escapeIdentifier(queryUser)}`);
    await client.query(`GRANT SELECT ON auth.api_keys TO ${pg.escapeIdentifier(queryUser)}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface NewApiKey {
  name: string;
  role: Role;
  customerId?: string;
}

/** Creates a key; the returned `secret` is the only copy there will ever be. */
export async function createApiKey(config: Config, key: NewApiKey): Promise<ApiKeyRecord & { secret: string }> {
  const keyId = `key_${crypto.randomBytes(8).toString('hex')}`;
  const secret = `ofk_${crypto.randomBytes(32).toString('base64url')}`;
  return withKeyTable(config, async (client) => {
    const { rows } = await client.query<ApiKeyRow>(
      `INSERT INTO auth.api_keys (key_id, key_sha256, name, role, customer_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING key_id, name, role, customer_id, created_at, revoked_at`,
      [keyId, keyDigest(secret), key.name, key.role, key.customerId ?? null],
    );
    return { ...toRecord(rows[0] as ApiKeyRow), secret };
  });
}

export async function listApiKeys(config: Config, { includeRevoked }: { includeRevoked: boolean }): Promise<ApiKeyRecord[]> {
  return withKeyTable(config, async (client) => {
    const { rows } = await client.query<ApiKeyRow>(
      `SELECT key_id, name, role, customer_id, created_at, revoked_at FROM auth.api_keys
       WHERE $1 OR revoked_at IS NULL ORDER BY created_at, key_id`,
      [includeRevoked],
    );
    return rows.map(toRecord);
  });
}

/**
 * Revokes a key (the row stays, for the record). The APIs stop accepting it once their trust in
 * it lapses: OUTFLOW_STORED_KEY_TRUST_S (30 s by default). Revoking a revoked key changes nothing.
 */
export async function revokeApiKey(config: Config, keyId: string): Promise<ApiKeyRecord> {
  return withKeyTable(config, async (client) => {
    const { rows } = await client.query<ApiKeyRow>(
      `UPDATE auth.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1
       RETURNING key_id, name, role, customer_id, created_at, revoked_at`,
      [keyId],
    );
    if (!rows[0]) throw new NotFound('API key', keyId);
    return toRecord(rows[0]);
  });
}
