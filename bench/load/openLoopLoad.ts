// Open-loop load: operation i is due at start + i / rate, whether or not earlier ones have
// finished, and its latency is measured from when it was due, not from when it was sent. A
// stalled server therefore shows up in the percentiles (no coordinated omission), and a client
// that falls behind its schedule is reported as a lower achieved rate.
import { LatencyHistogram } from './latencyHistogram.ts';

export interface OpenLoopOptions {
  /** Operations per second. */
  rate: number;
  durationSeconds: number;
  /** Performs operation `i`, due at `due` (performance.now() time); resolves when complete, rejects (or returns false) on failure. */
  operation: (i: number, due: number) => Promise<boolean | void>;
  /**
   * A system that cannot keep up would make an open-loop run last until its backlog drains; after
   * this many times the planned time, no more operations are sent (they count as not sent).
   */
  overrunFactor?: number;
  /** Upper bound on operations in flight; beyond it, due operations wait (and their latency grows). */
  maxInFlight?: number;
  /** Seconds of load before recording starts (connections, JIT, caches). */
  warmupSeconds?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface OpenLoopResult {
  histogram: LatencyHistogram;
  targetRate: number;
  /** Operations completed per second of the measured window. */
  achievedRate: number;
  completed: number;
  errors: number;
  /** The first few failure messages, to tell a broken run from a slow one. */
  errorSamples: string[];
  /** Most operations in flight at once. */
  peakInFlight: number;
  /** Operations never sent because the run overran its planned time (the system fell behind). */
  notSent: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, durationSeconds, operation } = options;
  const maxInFlight = options.maxInFlight ?? 10_000;
  const warmup = Math.round((options.warmupSeconds ?? 0) * rate);
  const total = warmup + Math.round(durationSeconds * rate);
  const histogram = new LatencyHistogram();
  const errorSamples: string[] = [];
  let errors = 0;
  let completed = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let measuredFrom = 0;
  let measuredUntil = 0;
  let slotFreed: (() => void) | undefined;
  const pending = new Set<Promise<void>>();

  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(message);
  };

  const start = performance.now();
  const stopSendingAt = start + ((options.warmupSeconds ?? 0) + durationSeconds) * 1000 * (options.overrunFactor ?? 1.5) + 2000;
  let sent = 0;
  for (let i = 0; i < total && !options.signal?.aborted && performance.now() < stopSendingAt; i++) {
    sent++;
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    // Never send early (its latency would count from a time it had not reached). Timers wake
    // about a millisecond late at best, so after a sleep every operation already due is sent in
    // one go, each still timed from its own due time.
    if (wait > 0) await sleep(wait);
    while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (slotFreed = resolve));
    if (i === warmup) measuredFrom = due;
    const measured = i >= warmup;
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    const done = operation(i, due)
      .then(
        (ok) => {
          if (ok === false) fail('operation reported failure');
          else if (measured) histogram.record(performance.now() - due);
        },
        (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        inFlight--;
        completed++;
        measuredUntil = performance.now();
        pending.delete(done);
        slotFreed?.();
        slotFreed = undefined;
        if (completed % Math.max(1, Math.round(rate)) === 0) options.onProgress?.(completed, total);
      });
    pending.add(done);
  }
  await Promise.all(pending);
  options.onProgress?.(completed, total);
  const seconds = Math.max(0.001, (measuredUntil - measuredFrom) / 1000);
  return {
    histogram,
    targetRate: rate,
    achievedRate: histogram.count / seconds,
    completed,
    errors,
    errorSamples,
    peakInFlight,
    notSent: total - sent,
  };
}
