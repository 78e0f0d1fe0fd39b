// Where freshness goes, stage by stage, as the live projector workers measure it themselves
// (outflow_projector_freshness_stage_seconds: capture, delivery, apply; see projectorMetrics.ts).
// Each worker's histogram is scraped before and after a load; the difference is that load's
// events alone, and its percentiles are read off the buckets (linear within a bucket), so they
// are as fine as the buckets: 1, 2, 5, 10, 20, 50, 100 ms ...
import type { Config } from '../../lib/config.ts';
import { projectorWorkerEndpoints } from '../../infra/local/serviceComponents.ts';
import { FRESHNESS_STAGES } from '../../projectors/runtime/projectorMetrics.ts';
import { bucketQuantile, parseHistogramBuckets } from '../../lib/prometheusHistogram.ts';

const METRIC = 'outflow_projector_freshness_stage_seconds';

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
  for (const { labels, bounds, counts } of parseHistogramBuckets(text, METRIC).values()) {
    const key = `${labels.projection}|${labels.stage}`;
    const entry = into.get(key);
    if (entry) entry.counts = entry.counts.map((count, i) => count + (counts[i] ?? 0));
    else into.set(key, { bounds, counts });
  }
  return into;
}

export { bucketQuantile };

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
