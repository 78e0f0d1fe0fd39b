// Reads of the stored-key table (auth.api_keys on the read-model server), for the APIs. Both
// read it as the read-only query role: the command API through a small pool of its own, the
// query API through its read pool. Writing keys is the operator CLI's (apiKeyAdmin.ts).
import type pg from 'pg';
import type { Config } from '../config.ts';
import { attributeFailure } from '../dependencyFailure.ts';
import { createLogger } from '../logger.ts';
import { isUndefinedTable } from '../postgresFailure.ts';
import { apiPoolTimeouts, postgresPool } from '../postgresPool.ts';
import type { StoredApiKey, StoredApiKeyLookup } from './apiKeyAuthenticator.ts';

export interface StoredApiKeys {
  lookUp: StoredApiKeyLookup;
  /** Keys not revoked: whether a service beyond loopback has any key to accept. */
  activeCount(): Promise<number>;
}

/** No key was ever created, so the table is not there yet. */
function noTableYet(error: unknown): boolean {
  return isUndefinedTable(error);
}

export function storedApiKeys(pool: pg.Pool): StoredApiKeys {
  return {
    async lookUp(digest) {
      try {
        const { rows } = await pool.query<{ key_id: string; name: string; role: string; customer_id: string | null }>({
          name: 'outflow-api-key-by-digest',
          text: 'SELECT key_id, name, role, customer_id FROM auth.api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL',
          values: [digest],
        });
        const row = rows[0];
        return row ? ({ keyId: row.key_id, name: row.name, role: row.role, customerId: row.customer_id } satisfies StoredApiKey) : undefined;
      } catch (error) {
        if (noTableYet(error)) return undefined;
        // An outage of the read server is a 503 naming it, not a refused key: configured and
        // still-trusted keys keep working meanwhile, since they never reach this lookup.
        throw attributeFailure('readPostgres', error);
      }
    },
    async activeCount() {
      try {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM auth.api_keys WHERE revoked_at IS NULL');
        return rows[0]?.n ?? 0;
      } catch (error) {
        if (noTableYet(error)) return 0;
        throw error;
      }
    },
  };
}

/**
 * The command API's pool for key lookups, as the read-only query role. Small on purpose: key
 * lookups never share a pool with commands, and a flood of unknown keys can hold at most this
 * many connections of the read server.
 */
export function storedKeysPool(config: Config, component: string): pg.Pool {
  const { host, port, database, queryUser, queryPassword } = config.readModel.postgres;
  return postgresPool(
    { host, port, database, user: queryUser, password: queryPassword, max: 4, application_name: `outflow-${component}-keys`, ...apiPoolTimeouts(config.timeouts.postgres) },
    createLogger(component, config.logLevel),
  );
}
