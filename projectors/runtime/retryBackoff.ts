// Capped exponential backoff with jitter, for retrying the same chunk while a store or the
// registry is down. The wait ends early when the consumer stops, so shutdown is not held up.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = Object.freeze({ initialMs: 100, maxMs: 5_000 });

/** The delay before retry number `attempt` (1-based): initial·2^(attempt-1), capped, ±20 % jitter. */
export function retryDelayMs(attempt: number, { initialMs, maxMs }: BackoffOptions = defaultBackoff): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Waits `ms`, or less when `signal` aborts; never throws. */
export async function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
