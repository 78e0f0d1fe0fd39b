// Read your own writes: a client that just got version n from the command API asks for
// at least n, and the read waits (bounded) for the projection to catch up. Polling the
// store every few milliseconds is cheap next to the projector's own latency and needs
// no extra subscription per request.
import { setTimeout as sleep } from 'node:timers/promises';

export interface VersionWait {
  timeoutMs: number;
  intervalMs?: number;
}

export interface VersionedRead<T> {
  /** The last value read (undefined: the read model does not have it at all). */
  value: T | undefined;
  /** Whether the value reached the asked-for version before the deadline. */
  reached: boolean;
}

/** Reads until the value's version is at least `minVersion` or the deadline passes. Store errors propagate. */
export async function readAtLeastVersion<T extends { version: number }>(
  read: () => Promise<T | undefined>,
  minVersion: number,
  { timeoutMs, intervalMs = 10 }: VersionWait,
): Promise<VersionedRead<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value.version >= minVersion) return { value, reached: true };
    const left = deadline - Date.now();
    if (left <= 0) return { value, reached: false };
    await sleep(Math.min(intervalMs, left));
  }
}
