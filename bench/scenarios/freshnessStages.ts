// Where freshness goes, stage by stage, as the live projector workers measure it themselves
// (outflow_projector_freshness_stage_seconds: capture, delivery, apply; see projectorMetrics.ts).
// Each worker's histogram is scraped before and after a load; the difference is that load's
// events alone, and its percentiles are read off the buckets (linear within a bucket), so they
// are as fine as the buckets: 1, 2, 5, 10, 20, 50, 100 ms ...
import type { Config } from '../../lib/config.ts';
import { projectorWorkerEndpoints } from '../../infra/local/serviceComponents.ts';
import { FRESHNESS_STAGES } from '../../projectors/runtime/projectorMetrics.ts';

const METRIC = 'outflow_projector_freshness_stage_seconds_bucket';

export type FreshnessStage = (typeof FRESHNESS_STAGES)[number];

/** Cumulative bucket counts per `projection|stage`, in the order of the bucket bounds. */
export type StageBuckets = Map<string, { bounds: number[]; counts: number[] }>;

export interface StageSummary {
  projection: string;
  stage: FreshnessStage;
  count: number;
  /** Milliseconds; Infinity when the percentile is beyond the last finite bucket. */
  p50: number;
  p99: number;
}

/** Parses the stage histogram's bucket lines out of a Prometheus text exposition. */
export function parseStageBuckets(text: string, into: StageBuckets = new Map()): StageBuckets {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = Object.fromEntries([...line.slice(METRIC.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const count = Number(line.slice(close + 1).trim());
    const key = `${labels.projection}|${labels.stage}`;
    let entry = into.get(key);
    if (!entry) into.set(key, (entry = { bounds: [], counts: [] }));
    entry.bounds.push(labels.le === '+Inf' ? Infinity : Number(labels.le));
    entry.counts.push(count);
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

/** Scrapes every live projector worker of the stack; a worker that does not answer is left out. */
export async function scrapeStageBuckets(config: Config): Promise<StageBuckets> {
  const buckets: StageBuckets = new Map();
  await Promise.all(
    projectorWorkerEndpoints(config).map(async ({ metricsUrl }) => {
      const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (response?.ok) parseStageBuckets(await response.text(), buckets);
    }),
  );
  return buckets;
}

/** The stages of the events applied between two scrapes, per projection. */
export function stagesBetween(before: StageBuckets, after: StageBuckets): StageSummary[] {
  const summaries: StageSummary[] = [];
  for (const [key, { bounds, counts }] of after) {
    const [projection, stage] = key.split('|') as [string, FreshnessStage];
    const earlier = before.get(key)?.counts;
    const delta = counts.map((count, i) => count - (earlier?.[i] ?? 0));
    const ms = bounds.map((bound) => bound * 1000);
    summaries.push({ projection, stage, count: delta.at(-1) ?? 0, p50: bucketQuantile(ms, delta, 0.5), p99: bucketQuantile(ms, delta, 0.99) });
  }
  const stageOrder = (stage: FreshnessStage) => FRESHNESS_STAGES.indexOf(stage);
  return summaries.sort((a, b) => a.projection.localeCompare(b.projection) || stageOrder(a.stage) - stageOrder(b.stage));
}
