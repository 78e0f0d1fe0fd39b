// API keys from the environment (config.auth.apiKeys) and, where a lookup is given, from
// a table of stored keys (the command API's write.api_keys). Keys are compared by SHA-256
// digest: the key itself is never stored or logged. A presented key is hashed once and its
// digest compared with every configured key's digest (computed once, at start) in constant
// time; a stored key is found by its digest.
//
// Authenticating runs on every request, so a key that proved valid is remembered in memory
// (presented key → principal): the next request with it costs one Map lookup, no hashing. A
// Map lookup is not a constant-time comparison, but it compares a guess's characters only with
// a remembered key of the same (randomly seeded) string hash, so its timing says nothing about
// how much of a key a guess has right. Unknown keys are never remembered, so a flood of them
// cannot grow the memory; they cost one hash each and answer 401.
import crypto from 'node:crypto';
import type { ApiKeyConfig } from '../../lib/config.ts';
import { Unauthenticated } from '../../lib/errors.ts';
import type { Principal } from './principal.ts';

/** How long a stored key (and its role) is trusted without asking the table again. */
const STORED_KEY_CACHE_MS = 30_000;
/** Remembered keys beyond this evict the oldest (only stored keys come and go). */
const MAX_REMEMBERED_KEYS = 10_000;

/** A key found by its digest outside the configuration. */
export interface StoredApiKey {
  name: string;
  role: string;
  customerId: string | null;
}

/** Finds a stored key by the SHA-256 hex digest of the key; undefined when unknown. */
export type StoredApiKeyLookup = (digest: string) => Promise<StoredApiKey | undefined>;

function sha256(key: string): Buffer {
  return crypto.createHash('sha256').update(key).digest();
}

/** The SHA-256 hex digest of a key: how write.api_keys stores it. */
export function keyDigest(key: string): string {
  return sha256(key).toString('hex');
}

/** Fails closed: a customer key without a customer id, or an unknown role, is no principal at all. */
function toPrincipal(name: string, role: string, customerId: string | null | undefined): Principal | undefined {
  if (role === 'admin') return { name, role };
  if (role === 'customer' && customerId) return { name, role, customerId };
  return undefined;
}

export class ApiKeyAuthenticator {
  private readonly configured: readonly { digest: Buffer; principal: Principal }[];
  private readonly remembered = new Map<string, { principal: Principal; until: number }>();

  /**
   * Without `lookUpStored` only the configured keys are accepted: the query API has no
   * credentials for the write database, so it cannot see write.api_keys.
   */
  constructor(keys: readonly ApiKeyConfig[], private readonly lookUpStored?: StoredApiKeyLookup) {
    this.configured = keys.flatMap((k) => {
      const principal = toPrincipal(k.name, k.role, k.customerId);
      return principal ? [{ digest: sha256(k.key), principal }] : [];
    });
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!key) throw new Unauthenticated();
    const known = this.remembered.get(key);
    if (known && known.until > Date.now()) return known.principal;
    const digest = sha256(key);
    const configured = this.matchConfigured(digest);
    if (configured) {
      this.remember(key, configured, Number.POSITIVE_INFINITY);
      return configured;
    }
    const stored = await this.lookUp(digest);
    if (!stored) throw new Unauthenticated('the API key is not known');
    this.remember(key, stored, Date.now() + STORED_KEY_CACHE_MS);
    return stored;
  }

  /** Compares with every configured digest, without stopping at a match: the time is the same for any key. */
  private matchConfigured(digest: Buffer): Principal | undefined {
    let found: Principal | undefined;
    for (const { digest: candidate, principal } of this.configured) {
      if (crypto.timingSafeEqual(digest, candidate)) found = principal;
    }
    return found;
  }

  private async lookUp(digest: Buffer): Promise<Principal | undefined> {
    if (!this.lookUpStored) return undefined;
    const stored = await this.lookUpStored(digest.toString('hex'));
    return stored ? toPrincipal(stored.name, stored.role, stored.customerId) : undefined;
  }

  private remember(key: string, principal: Principal, until: number): void {
    this.remembered.delete(key);
    if (this.remembered.size >= MAX_REMEMBERED_KEYS) {
      const oldest = this.remembered.keys().next().value;
      if (oldest !== undefined) this.remembered.delete(oldest);
    }
    this.remembered.set(key, { principal, until });
  }
}
