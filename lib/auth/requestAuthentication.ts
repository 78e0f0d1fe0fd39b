// Authentication of one HTTP API's requests: which keys it accepts (configured keys by the
// address it listens on, stored keys from the key table), and a limit on requests whose key is
// not already known valid, per client address. A known key costs no query and never counts; an
// unknown one counts before the key table is asked, so a flood of guessed keys gets 429 after a
// few lookups, whatever its concurrency, while known keys from the same address still pass.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { AuthenticationRateLimited } from '../errors.ts';
import { ApiKeyAuthenticator } from './apiKeyAuthenticator.ts';
import { assertSomeKeyAccepted, configuredKeysFor, isLoopback } from './localKeys.ts';
import type { Principal } from './principal.ts';
import type { StoredApiKeys } from './storedApiKeys.ts';

export interface RequestAuthenticationOptions {
  /** The service's name, for the message when it refuses to start. */
  service: string;
  /** The address the service listens on: the built-in local keys only count on loopback. */
  host: string;
  auth: Config['auth'];
  storedKeys: StoredApiKeys;
}

export type AuthenticateRequest = (request: FastifyRequest, reply: FastifyReply) => Promise<Principal>;

/** Refuses (throws) when the service would accept no key at all; otherwise the request authenticator. */
export async function requestAuthentication(app: FastifyInstance, options: RequestAuthenticationOptions): Promise<AuthenticateRequest> {
  const { auth, storedKeys } = options;
  const configured = configuredKeysFor(options.host, auth.apiKeys);
  if (configured.length === 0 && !isLoopback(options.host)) assertSomeKeyAccepted(options.service, options.host, configured, await storedKeys.activeCount());
  const authenticator = new ApiKeyAuthenticator(configured, { lookUpStored: storedKeys.lookUp, storedKeyTrustMs: auth.storedKeyTrustMs });

  await app.register(rateLimit, { global: false });
  // Keyed by the client address (IPv6 by /64), the plugin's default.
  const countUnverified = app.createRateLimit({ max: auth.unverifiedKeysPerMinute, timeWindow: 60_000 });

  return async (request, reply) => {
    const known = authenticator.known(request.headers.authorization);
    if (known) return known;
    const limit = await countUnverified(request);
    if (!limit.isAllowed && limit.isExceeded) {
      reply.header('retry-after', String(limit.ttlInSeconds));
      throw new AuthenticationRateLimited(limit.ttlInSeconds);
    }
    return authenticator.authenticate(request.headers.authorization);
  };
}
