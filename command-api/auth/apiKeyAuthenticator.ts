// API keys from the environment (config.auth.apiKeys) and, where a lookup is given, from
// a table of stored keys (the command API's write.api_keys). Keys are compared by SHA-256
// digest only: the key itself is never stored, logged or kept beyond this lookup.
import crypto from 'node:crypto';
import type { ApiKeyConfig } from '../../lib/config.ts';
import { Unauthenticated } from '../../lib/errors.ts';
import type { Principal } from './principal.ts';

const STORED_KEY_CACHE_MS = 30_000;

/** A key found by its digest outside the configuration. */
export interface StoredApiKey {
  name: string;
  role: string;
  customerId: string | null;
}

/** Finds a stored key by the SHA-256 hex digest of the key; undefined when unknown. */
export type StoredApiKeyLookup = (digest: string) => Promise<StoredApiKey | undefined>;

export function keyDigest(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

function toPrincipal(name: string, role: string, customerId: string | null | undefined): Principal {
  return role === 'customer' && customerId ? { name, role, customerId } : { name, role: 'admin' };
}

export class ApiKeyAuthenticator {
  private readonly configured: ReadonlyMap<string, Principal>;
  private readonly fromStore = new Map<string, { principal: Principal; until: number }>();

  /**
   * Without `lookUpStored` only the configured keys are accepted: the query API has no
   * credentials for the write database, so it cannot see write.api_keys.
   */
  constructor(keys: readonly ApiKeyConfig[], private readonly lookUpStored?: StoredApiKeyLookup) {
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
    if (!this.lookUpStored) return undefined;
    const cached = this.fromStore.get(digest);
    if (cached && cached.until > Date.now()) return cached.principal;
    const stored = await this.lookUpStored(digest);
    if (!stored) return undefined;
    const principal = toPrincipal(stored.name, stored.role, stored.customerId);
    this.fromStore.set(digest, { principal, until: Date.now() + STORED_KEY_CACHE_MS });
    return principal;
  }
}
