// What a command request carries besides its body, read the same way by every service that takes
// commands (the command API, the payments service): the If-Match version it expects and the
// correlation id its events are stamped with.
import type { FastifyRequest } from 'fastify';

/** The If-Match header's schema: a version, quoted or not, weak or not. */
export const ifMatchHeader = { type: 'string', pattern: '^(W/)?"?[0-9]{1,15}"?$', description: 'The aggregate version the change expects.' } as const;

/** If-Match: "3", W/"3" or 3 → 3; absent → undefined (the header's pattern is validated by the route schema). */
export function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (typeof header !== 'string') return undefined;
  return Number(header.replace(/^W\//, '').replaceAll('"', ''));
}

/** The client's X-Correlation-Id when it sent a usable one, else the request's own id. */
export function correlationIdOf(request: FastifyRequest): string {
  const correlation = request.headers['x-correlation-id'];
  return typeof correlation === 'string' && correlation.length <= 200 ? correlation : request.id;
}
