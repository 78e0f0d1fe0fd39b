// Retries one piece of work while it fails transiently: same input, capped exponential
// backoff, forever, heartbeating so the group keeps the partition, until the consumer
// stops. A non-retriable failure is thrown to the caller, which decides about poison.
import { describeFailure, isRetriable } from './retriableFailure.ts';
import { retryDelayMs, waitUnlessAborted, type BackoffOptions } from './retryBackoff.ts';

/** Returned instead of a result when the consumer stopped (or lost the partition) while waiting. */
export const INTERRUPTED = Symbol('interrupted');
export type Interrupted = typeof INTERRUPTED;

export interface RetryPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface RetryControl {
  backoff: BackoffOptions;
  signal: AbortSignal;
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition's fetch position moved (rebalance, seek). */
  shouldContinue(): boolean;
  onRetry(position: RetryPosition, attempt: number, delayMs: number, error: string): void;
  /** Called with true when a retry sequence starts and false when it ends. */
  onRetrying(active: boolean): void;
}

export async function retryWhileTransient<T>(position: RetryPosition, control: RetryControl, work: () => Promise<T>): Promise<T | Interrupted> {
  let attempt = 0;
  try {
    for (;;) {
      // The first attempt always runs, so a stopping consumer still finishes the chunk at hand.
      if (attempt > 0 && !control.shouldContinue()) return INTERRUPTED;
      try {
        return await work();
      } catch (error) {
        if (!isRetriable(error)) throw error;
        if (!control.shouldContinue()) return INTERRUPTED;
        attempt += 1;
        if (attempt === 1) control.onRetrying(true);
        const delayMs = retryDelayMs(attempt, control.backoff);
        control.onRetry(position, attempt, delayMs, describeFailure(error));
        await control.heartbeat();
        await waitUnlessAborted(delayMs, control.signal);
      }
    }
  } finally {
    if (attempt > 0) control.onRetrying(false);
  }
}
