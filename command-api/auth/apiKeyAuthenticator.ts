// API keys from the environment (config.auth.apiKeys) or the write.api_keys table.
// Keys are compared by SHA-256 digest only: the key itself is never stored, logged or
// kept beyond this lookup.
import crypto from 'node:crypto';
import type pg from 'pg';
import type { ApiKeyConfig } from '../../lib/config.ts';
import { Unauthenticated } from '../../lib/errors.ts';
import type { Principal } from './principal.ts';

const TABLE_CACHE_MS = 30_000;

export function keyDigest(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

function toPrincipal(name: string, role: string, customerId: string | null | undefined): Principal {
  return role === 'customer' && customerId ? { name, role, customerId } : { name, role: 'admin' };
}

export class ApiKeyAuthenticator {
  private readonly configured: ReadonlyMap<string, Principal>;
  private readonly fromTable = new Map<string, { principal: Principal; until: number }>();

  constructor(keys: readonly ApiKeyConfig[], private readonly pool: pg.Pool) {
    this.configured = new Map(keys.map((k) => [keyDigest(k.key), toPrincipal(k.name, k.role, k.customerId)]));
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new Unauthenticated();
    const digest = keyDigest(match[1]);
    const principal = this.configured.get(digest) ?? (await this.lookUp(digest));
    if (!principal) throw new Unauthenticated('the API key is not known');
    return principal;
  }

  private async lookUp(digest: string): Promise<Principal | undefined> {
    const cached = this.fromTable.get(digest);
    if (cached && cached.until > Date.now()) return cached.principal;
    const { rows } = await this.pool.query<{ name: string; role: string; customer_id: string | null }>(
      'SELECT name, role, customer_id FROM write.api_keys WHERE key_sha256 = $1',
      [digest],
    );
    const row = rows[0];
    if (!row) return undefined;
    const principal = toPrincipal(row.name, row.role, row.customer_id);
    this.fromTable.set(digest, { principal, until: Date.now() + TABLE_CACHE_MS });
    return principal;
  }
}
