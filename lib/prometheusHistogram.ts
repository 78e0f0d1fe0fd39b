// Reading a Prometheus histogram back out of a text exposition (a /metrics page), for tools that
// summarise what running services measured: the operator's status screen, the bench's freshness
// breakdown. Percentiles come off the buckets (linear within a bucket), so they are as fine as
// the buckets are.

/** Cumulative bucket counts per series (the labels other than `le`, joined), in the order of the bounds. */
export type HistogramBuckets = Map<string, { labels: Record<string, string>; bounds: number[]; counts: number[] }>;

/** Adds the `<metric>_bucket` lines of `text` to `into`; series of several scrapes add up. */
export function parseHistogramBuckets(text: string, metric: string, into: HistogramBuckets = new Map()): HistogramBuckets {
  const prefix = `${metric}_bucket{`;
  const added = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const all = Object.fromEntries([...line.slice(prefix.length, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const { le, ...labels } = all;
    const count = Number(line.slice(close + 1).trim());
    const key = Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',');
    let entry = into.get(key);
    if (!entry) into.set(key, (entry = { labels, bounds: [], counts: [] }));
    // The same series from a second page (another worker) adds bucket by bucket.
    const index = added.get(key) ?? 0;
    added.set(key, index + 1);
    if (index < entry.bounds.length) entry.counts[index]! += count;
    else {
      entry.bounds.push(le === '+Inf' ? Infinity : Number(le));
      entry.counts.push(count);
    }
  }
  return into;
}

/** The q-quantile (0..1) of cumulative bucket counts, in the bounds' unit; NaN without observations. */
export function bucketQuantile(bounds: readonly number[], cumulative: readonly number[], q: number): number {
  const total = cumulative.at(-1) ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i]! < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : cumulative[i - 1]!;
    const upper = bounds[i]!;
    if (upper === Infinity) return Infinity;
    const inBucket = cumulative[i]! - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return Infinity;
}
