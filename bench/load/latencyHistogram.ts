// Latencies recorded into an HdrHistogram in microseconds (3 significant digits, up to an hour),
// so percentiles come from the whole distribution rather than a sorted sample, and the raw
// histogram can be kept in the result file and re-read later.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../benchResult.ts';

const HIGHEST_TRACKABLE_US = 3_600_000_000;

export class LatencyHistogram {
  private readonly histogram: hdr.Histogram;

  constructor(histogram?: hdr.Histogram) {
    this.histogram =
      histogram ??
      hdr.build({
        bitBucketSize: 'packed',
        lowestDiscernibleValue: 1,
        highestTrackableValue: HIGHEST_TRACKABLE_US,
        numberOfSignificantValueDigits: 3,
        useWebAssembly: false,
      });
  }

  /** A histogram read back from `encoded()` (another process's, or a result file's). */
  static decode(encoded: string): LatencyHistogram {
    return new LatencyHistogram(hdr.decodeFromCompressedBase64(encoded, 'packed', false));
  }

  encoded(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  /** Records one latency given in milliseconds. */
  record(milliseconds: number): void {
    const micros = Math.max(1, Math.min(HIGHEST_TRACKABLE_US, Math.round(milliseconds * 1000)));
    this.histogram.recordValue(micros);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The percentile in milliseconds (NaN when nothing was recorded). */
  percentile(p: number): number {
    return this.count === 0 ? Number.NaN : this.histogram.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const ms = (micros: number) => (this.count === 0 ? Number.NaN : Math.round(micros) / 1000);
    return {
      count: this.count,
      mean: ms(this.histogram.mean),
      p50: ms(this.histogram.getValueAtPercentile(50)),
      p95: ms(this.histogram.getValueAtPercentile(95)),
      p99: ms(this.histogram.getValueAtPercentile(99)),
      p999: ms(this.histogram.getValueAtPercentile(99.9)),
      max: ms(this.histogram.maxValue),
      histogram: hdr.encodeIntoCompressedBase64(this.histogram),
    };
  }
}
