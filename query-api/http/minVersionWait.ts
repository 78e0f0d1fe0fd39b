// Read your own writes: a client that just got version n from the command API asks for
// at least n, and the read waits (bounded) for the projection to catch up. Polling the
// store every few milliseconds is cheap next to the projector's own latency and needs
// no extra subscription per request.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRequest } from 'fastify';
import { DependencyUnavailable } from '../../lib/errors.ts';

export interface VersionWait {
  timeoutMs: number;
  intervalMs?: number;
  /** The store the reads go to, named in the 503 when it does not answer. */
  dependency: string;
  /**
   * How long past the deadline a read still in flight may take. The store's client has a
   * timeout of its own; this bound holds even when it does not fire.
   */
  readGraceMs: number;
}

export interface VersionedRead<T> {
  /** The last value read (undefined: the read model does not have it at all). */
  value: T | undefined;
  /** Whether the value reached the asked-for version before the deadline. */
  reached: boolean;
}

/** The read's answer, or DependencyUnavailable when it has none within `ms`. */
async function within<T>(read: () => Promise<T>, ms: number, dependency: string): Promise<T> {
  const unanswered = new AbortController();
  const late = sleep(ms, undefined, { signal: unanswered.signal }).then(() => {
    throw new DependencyUnavailable(dependency, 'timeout');
  });
  try {
    return await Promise.race([read(), late]);
  } finally {
    unanswered.abort();
    late.catch(() => {});
  }
}

/**
 * Reads until the value's version is at least `minVersion` or the deadline passes. Store
 * errors propagate; the whole wait ends by `timeoutMs + readGraceMs` even if a read hangs.
 */
export async function readAtLeastVersion<T extends { version: number }>(
  read: () => Promise<T | undefined>,
  minVersion: number,
  { timeoutMs, intervalMs = 10, dependency, readGraceMs }: VersionWait,
): Promise<VersionedRead<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await within(read, deadline + readGraceMs - Date.now(), dependency);
    if (value !== undefined && value.version >= minVersion) return { value, reached: true };
    const left = deadline - Date.now();
    if (left <= 0) return { value, reached: false };
    await sleep(Math.min(intervalMs, left));
  }
}

/** X-Min-Version or ?minVersion= (validated by the route schema); both given → the higher. */
export function requestedMinVersion(request: FastifyRequest): number | undefined {
  const header = (request.headers as { 'x-min-version'?: number })['x-min-version'];
  const query = (request.query as { minVersion?: number }).minVersion;
  if (header === undefined) return query;
  return query === undefined ? header : Math.max(header, query);
}
