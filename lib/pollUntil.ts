import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceeded } from './errors.ts';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Calls `attempt` until it returns a value other than undefined, or throws
 * DeadlineExceeded (carrying the last failure as its cause) once the deadline passes.
 * An attempt that throws counts as "not yet": probes against a starting server fail
 * with connection errors until it listens.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 250 }: PollOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new DeadlineExceeded(what, timeoutMs, { cause: lastError });
    await sleep(intervalMs);
  }
}
