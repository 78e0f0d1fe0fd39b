// Closed-loop load: `concurrency` loops, each sending its next operation as soon as the last one
// answered. The achieved rate is the most the system carries with that many clients (its
// saturation), and latency counts from each send.
import { LatencyHistogram } from './latencyHistogram.ts';
import type { OpenLoopResult } from './openLoopLoad.ts';

export interface ClosedLoopOptions {
  concurrency: number;
  durationSeconds: number;
  /** Seconds of load before recording starts. */
  warmupSeconds?: number;
  operation: (i: number, sent: number) => Promise<boolean | void>;
  onProgress?: (done: number) => void;
}

export async function runClosedLoop(options: ClosedLoopOptions): Promise<OpenLoopResult> {
  const histogram = new LatencyHistogram();
  const errorSamples: string[] = [];
  let errors = 0;
  let next = 0;
  let completed = 0;
  const start = performance.now();
  const measuredFrom = start + (options.warmupSeconds ?? 0) * 1000;
  const end = measuredFrom + options.durationSeconds * 1000;
  let measured = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const i = next++;
      const sent = performance.now();
      try {
        const ok = await options.operation(i, sent);
        if (ok === false) throw new Error('operation reported failure');
        if (sent >= measuredFrom) {
          histogram.record(performance.now() - sent);
          measured++;
        }
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
      }
      completed++;
      if (completed % 1000 === 0) options.onProgress?.(completed);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const seconds = Math.max(0.001, (Math.min(performance.now(), end) - measuredFrom) / 1000);
  return { histogram, targetRate: Number.NaN, achievedRate: measured / seconds, completed, errors, errorSamples, peakInFlight: options.concurrency, notSent: 0 };
}
