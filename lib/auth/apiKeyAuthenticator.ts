// API keys from the configuration and, where a lookup is given, from the table of stored keys
// (lib/auth/storedApiKeys.ts). Keys are compared by SHA-256 digest: the key itself is never
// stored or logged. A presented key is hashed once and its digest compared with every
// configured key's digest (computed once, at start) in constant time; a stored key is found by
// its digest.
//
// Authenticating runs on every request, so a key that proved valid is remembered in memory
// (presented key → principal): the next request with it costs one lookup, no hashing. A Map
// lookup is not a constant-time comparison, but it compares a guess's characters only with a
// remembered key of the same (randomly seeded) string hash, so its timing says nothing about how
// much of a key a guess has right.
//
// A key that failed is remembered too, by digest, in a bounded cache: a client retrying with a
// revoked or mistyped key costs one hash per request, not one query each time.
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ApiKeyConfig } from '../config.ts';
import { Unauthenticated } from '../errors.ts';
import type { Principal } from './principal.ts';
import { toPrincipal } from './roles.ts';

/** Remembered keys beyond these evict the least recently used. */
const MAX_REMEMBERED_KEYS = 10_000;
const MAX_REMEMBERED_FAILURES = 10_000;
/** Stored keys are random secrets created after the failure could have been cached, so a failure can be remembered long. */
const FAILURE_MEMORY_MS = 10 * 60_000;

/** A key found by its digest in the key table. */
export interface StoredApiKey {
  keyId: string;
  name: string;
  role: string;
  customerId: string | null;
}

/** Finds an active (not revoked) stored key by the SHA-256 hex digest of the key; undefined when unknown. */
export type StoredApiKeyLookup = (digest: string) => Promise<StoredApiKey | undefined>;

export interface AuthenticatorOptions {
  lookUpStored?: StoredApiKeyLookup;
  /** How long a stored key is trusted without asking the table again (a revocation's delay). */
  storedKeyTrustMs?: number;
}

function sha256(key: string): Buffer {
  return crypto.createHash('sha256').update(key).digest();
}

/** The SHA-256 hex digest of a key: how the key table stores it. */
export function keyDigest(key: string): string {
  return sha256(key).toString('hex');
}

/** The identity of a configured key: its name, which the configuration keeps unique. */
export function configuredKeyId(name: string): string {
  return `env:${name}`;
}

function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

export class ApiKeyAuthenticator {
  private readonly configured: readonly { digest: Buffer; principal: Principal }[];
  private readonly remembered = new LRUCache<string, { principal: Principal; until: number }>({ max: MAX_REMEMBERED_KEYS });
  private readonly failed = new LRUCache<string, true>({ max: MAX_REMEMBERED_FAILURES, ttl: FAILURE_MEMORY_MS });
  private readonly lookUpStored: StoredApiKeyLookup | undefined;
  private readonly storedKeyTrustMs: number;

  constructor(keys: readonly ApiKeyConfig[], { lookUpStored, storedKeyTrustMs = 30_000 }: AuthenticatorOptions = {}) {
    this.lookUpStored = lookUpStored;
    this.storedKeyTrustMs = storedKeyTrustMs;
    this.configured = keys.flatMap((k) => {
      const principal = toPrincipal(configuredKeyId(k.name), k.name, k.role, k.customerId);
      return principal ? [{ digest: sha256(k.key), principal }] : [];
    });
  }

  /**
   * The principal of a key already known valid (configured, or stored and still trusted),
   * without asking the key table; undefined for any other key. What a request costs before any
   * rate limit applies.
   */
  known(authorization: string | undefined): Principal | undefined {
    const key = bearerToken(authorization);
    return key ? (this.rememberedPrincipal(key) ?? this.configuredPrincipal(key, sha256(key))) : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const key = bearerToken(authorization);
    if (!key) throw new Unauthenticated();
    const remembered = this.rememberedPrincipal(key);
    if (remembered) return remembered;
    const digest = sha256(key);
    const configured = this.configuredPrincipal(key, digest);
    if (configured) return configured;
    const hex = digest.toString('hex');
    if (this.failed.has(hex)) throw new Unauthenticated('the API key is not known');
    const stored = await this.lookUp(hex);
    if (!stored) {
      this.failed.set(hex, true);
      throw new Unauthenticated('the API key is not known');
    }
    this.remembered.set(key, { principal: stored, until: Date.now() + this.storedKeyTrustMs });
    return stored;
  }

  private rememberedPrincipal(key: string): Principal | undefined {
    const known = this.remembered.get(key);
    return known && known.until > Date.now() ? known.principal : undefined;
  }

  private configuredPrincipal(key: string, digest: Buffer): Principal | undefined {
    const configured = this.matchConfigured(digest);
    if (configured) this.remembered.set(key, { principal: configured, until: Number.POSITIVE_INFINITY });
    return configured;
  }

  /** Compares with every configured digest, without stopping at a match: the time is the same for any key. */
  private matchConfigured(digest: Buffer): Principal | undefined {
    let found: Principal | undefined;
    for (const { digest: candidate, principal } of this.configured) {
      if (crypto.timingSafeEqual(digest, candidate)) found = principal;
    }
    return found;
  }

  private async lookUp(digest: string): Promise<Principal | undefined> {
    if (!this.lookUpStored) return undefined;
    const stored = await this.lookUpStored(digest);
    return stored ? toPrincipal(stored.keyId, stored.name, stored.role, stored.customerId) : undefined;
  }
}
