// Scenario 2: end-to-end freshness. At each rate, the command mix at a steady rate (open loop) from
// a load generator process of its own, through the running pipeline. The generator reports a
// sample of the accepted commands as they are answered (at most ~25 a second, so the polling does
// not load the stores it measures); this process polls each read model every 2 ms until the change
// is visible, counting from the command API's answer (its transaction has committed):
//   order-summary / customer-orders (Redis), sales-report (read Postgres): the placed order;
//   product-search (Elasticsearch real-time GET): the re-priced product at its new version.
// Where the time went comes from the live workers themselves: their per-stage histograms
// (capture, delivery, apply), scraped before and after each rate's load (freshnessStages.ts).
// Reference: a Kafka produce → consume round trip on the same broker at the same rate.
import type { Measurement } from '../benchResult.ts';
import { readCustomerOrders } from '../../projectors/projections/customerOrders.ts';
import { readOrderSummary } from '../../projectors/projections/orderSummary.ts';
import { readProductDocument } from '../../projectors/projections/productSearch.ts';
import { SALES_REPORT } from '../../projectors/projections/salesReport.ts';
import { postgresReadTarget } from '../../projectors/stores/postgresStore.ts';
import { CommandClient } from '../load/commandClient.ts';
import { CommandMix } from '../load/commandMix.ts';
import { LatencyHistogram } from '../load/latencyHistogram.ts';
import { runLoadGenerator } from '../load/loadGeneratorProcess.ts';
import type { FollowedCommand } from '../load/loadSpec.ts';
import { measureKafkaRoundTrip } from '../references/kafkaRoundTrip.ts';
import { goal, latencyMeasurement, loadNotes, percentileChart, row, type Scenario } from '../scenario.ts';
import type { BenchContext } from '../benchContext.ts';
import { scrapeStageBuckets, stagesBetween, type StageSummary } from './freshnessStages.ts';

const MODELS = ['order-summary', 'customer-orders', 'sales-report', 'product-search'] as const;
type Model = (typeof MODELS)[number];
/** The read models the < 100 ms goal is about: product-search's real-time GET is measured, not held to it. */
const NON_SEARCH: readonly Model[] = ['order-summary', 'customer-orders', 'sales-report'];
const POLL_MS = 2;
const GIVE_UP_MS = 30_000;
const FOLLOWED_PER_SECOND = 25;

interface RateRun {
  rate: number;
  measurements: Measurement[];
  histograms: Record<Model, LatencyHistogram>;
  timedOut: Record<Model, number>;
  stages: StageSummary[];
  sampleEvery: number;
  followDelay: LatencyHistogram;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** Polls the read models for each followed command until its change is visible there. */
function readModelWatch(context: BenchContext) {
  const { redis, elasticsearch, readPostgres } = context.connections;
  const salesOrders = postgresReadTarget(SALES_REPORT, 'orders');
  const histograms = Object.fromEntries(MODELS.map((m) => [m, new LatencyHistogram()])) as Record<Model, LatencyHistogram>;
  const timedOut = Object.fromEntries(MODELS.map((m) => [m, 0])) as Record<Model, number>;
  const pending: Promise<void>[] = [];
  // How late each followed command reached this process: part of every figure below, so shown.
  const followDelay = new LatencyHistogram();
  const until = async (model: Model, since: number, visible: () => Promise<boolean>) => {
    while (!(await visible())) {
      if (epochNow() - since > GIVE_UP_MS) {
        timedOut[model]++;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    histograms[model].record(epochNow() - since);
  };
  return {
    histograms,
    timedOut,
    followDelay,
    follow(followed: FollowedCommand) {
      const { version, answeredAt } = followed;
      followDelay.record(Math.max(0, epochNow() - answeredAt));
      if (followed.kind === 'place') {
        const { orderId, customerId } = followed;
        pending.push(
          until('order-summary', answeredAt, async () => ((await readOrderSummary(redis, orderId))?.version ?? 0) >= version),
          until('customer-orders', answeredAt, async () => (await readCustomerOrders(redis, customerId, { limit: 20 })).orders.some((o) => o.orderId === orderId)),
          until('sales-report', answeredAt, async () => (await readPostgres.query(`SELECT 1 FROM ${salesOrders} WHERE order_id = $1`, [orderId])).rowCount === 1),
        );
      } else {
        pending.push(until('product-search', answeredAt, async () => ((await readProductDocument(elasticsearch, followed.sku))?.productVersion ?? 0) >= version));
      }
    },
    settled: () => Promise.all(pending),
  };
}

async function runAtRate(context: BenchContext, mixRunId: string, rate: number): Promise<RateRun> {
  const { sizes, progress, config } = context;
  const sampleEvery = Math.max(1, Math.ceil(rate / FOLLOWED_PER_SECOND));
  const watch = readModelWatch(context);
  progress.note(`freshness: ${rate} commands/s for ${sizes.freshnessSeconds} s, every ${sampleEvery}th command followed into the read models`);
  const stagesBefore = await scrapeStageBuckets(config);
  const load = await runLoadGenerator(
    config.repoRoot,
    {
      target: { kind: 'commands', runId: mixRunId, offset: rate * 1_000_000, follow: { every: sampleEvery, fromIndex: sizes.warmupSeconds * rate } },
      shape: { mode: 'open', rate, durationSeconds: sizes.freshnessSeconds, warmupSeconds: sizes.warmupSeconds, maxInFlight: 256 },
      connections: 256,
    },
    (done, total) => progress.update('freshness', `${rate}/s ${done}/${total ?? '?'} commands`),
    (followed) => watch.follow(followed),
  );
  await watch.settled();
  const stages = stagesBetween(stagesBefore, await scrapeStageBuckets(config));
  const referenceSeconds = Math.min(sizes.freshnessSeconds, 15);
  progress.note(`freshness: Kafka produce → consume reference at ${rate}/s for ${referenceSeconds} s`);
  const roundTrip = await measureKafkaRoundTrip({
    kafka: context.connections.kafka,
    admin: context.connections.admin,
    topic: `bench.${context.runId}.roundtrip.${rate}`,
    partitions: config.events.partitions,
    rate,
    durationSeconds: referenceSeconds,
    onProgress: (done, total) => progress.update('freshness', `reference ${rate}/s ${done}/${total}`),
  });
  const measurements: Measurement[] = [
    latencyMeasurement(`commands.${rate}`, `commands at ${rate}/s (command latency)`, 'ours', load),
    ...MODELS.map((model) => ({
      id: `ours.${model}.${rate}`,
      label: `${model} at ${rate}/s`,
      subject: 'ours' as const,
      latency: watch.histograms[model].summary(),
      errors: watch.timedOut[model],
      details: { pollMs: POLL_MS, giveUpMs: GIVE_UP_MS },
    })),
    latencyMeasurement(`reference.kafka-round-trip.${rate}`, `Kafka produce→consume at ${rate}/s`, 'reference', roundTrip),
  ];
  return { rate, measurements, histograms: watch.histograms, timedOut: watch.timedOut, stages, sampleEvery, followDelay: watch.followDelay };
}

const worstP99 = (run: RateRun, models: readonly Model[]) => Math.max(...models.map((m) => run.histograms[m].percentile(99)));
const round1 = (ms: number) => (Number.isFinite(ms) ? Math.round(ms * 10) / 10 : ms);

export const endToEndFreshnessScenario: Scenario = {
  name: 'freshness',
  title: 'End-to-end freshness (command committed → visible in each read model), with the per-stage breakdown',
  async run(context) {
    const mixRunId = `${context.runId}-${this.name}`;
    await new CommandMix(mixRunId).seed(new CommandClient(context.config, context.connections.commandApi));
    const runs: RateRun[] = [];
    for (const rate of context.sizes.freshnessRates) runs.push(await runAtRate(context, mixRunId, rate));

    const rows = runs.flatMap((run) => {
      const reference = run.measurements.find((m) => m.subject === 'reference')!.latency!;
      const achieved = run.measurements.find((m) => m.id === `commands.${run.rate}`)!.achievedRate!;
      return [
        ...MODELS.flatMap((model) => {
          const h = run.histograms[model].summary();
          return [
            row(`${model} p50 at ${run.rate} cmd/s`, 'ms', h.p50, { label: 'Kafka round trip', value: reference.p50 }),
            row(`${model} p99 at ${run.rate} cmd/s`, 'ms', h.p99, { label: 'Kafka round trip', value: reference.p99 }),
          ];
        }),
        // Bucket-resolution figures from the workers' own histograms: where the time went.
        ...run.stages.flatMap((s) => [row(`${s.projection} ${s.stage} p50 at ${run.rate} cmd/s`, 'ms', round1(s.p50)), row(`${s.projection} ${s.stage} p99 at ${run.rate} cmd/s`, 'ms', round1(s.p99))]),
        row(`commands achieved at ${run.rate} cmd/s`, 'cmd/s', achieved),
        row(`follow delay p99 at ${run.rate} cmd/s (answer → this process heard of it)`, 'ms', round1(run.followDelay.percentile(99))),
        row(`samples (order-summary) at ${run.rate} cmd/s`, 'count', run.histograms['order-summary'].count),
      ];
    });
    const lowest = runs[0]!;
    const highest = runs.at(-1)!;
    const referenceAt = (run: RateRun) => run.measurements.find((m) => m.subject === 'reference')!.latency!.p99;
    const goals = [
      goal(
        {
          figure: `freshness p99, commit → visible in order-summary, customer-orders and sales-report, at ${lowest.rate} cmd/s`,
          goal: '< 100 ms',
          measured: worstP99(lowest, NON_SEARCH),
          unit: 'ms',
          reference: { label: 'Kafka produce→consume round trip', value: referenceAt(lowest), unit: 'ms' },
        },
        (p99) => p99 < 100 && lowest.rate >= 100,
      ),
      goal(
        {
          figure: `freshness p99, commit → visible in order-summary, customer-orders and sales-report, at ${highest.rate} cmd/s`,
          seedTarget: '< 500 ms',
          goal: '< 500 ms at the highest rate the machine sustains',
          measured: worstP99(highest, NON_SEARCH),
          unit: 'ms',
          reference: { label: 'Kafka produce→consume round trip', value: referenceAt(highest), unit: 'ms' },
        },
        (p99) => p99 < 500 && highest.rate >= 500,
      ),
    ].slice(0, runs.length > 1 ? 2 : 1);
    const measurements = runs.flatMap((run) => run.measurements);
    return {
      parameters: { rates: runs.map((r) => r.rate), seconds: context.sizes.freshnessSeconds, sampleEvery: runs.map((r) => r.sampleEvery), pollMs: POLL_MS },
      measurements,
      rows,
      goals,
      charts: runs.map((run) => percentileChart(`freshness-${run.rate}`, `Freshness at ${run.rate} cmd/s`, run.measurements.filter((m) => !m.id.startsWith('commands')))),
      notes: [
        'Freshness counts from the command API’s answer (after its commit), as the load generator saw it, to the first poll that sees the change; the 2 ms poll adds up to 2 ms.',
        `A sample of the commands is followed (at most ${FOLLOWED_PER_SECOND} a second, plus re-pricings for product-search) so the polling does not load the stores it measures; the commands come from a generator process of their own.`,
        'product-search is checked with a real-time GET by id; full-text search sees a change after the index refresh (1 s).',
        'Stages, from the live workers’ own histograms (outflow_projector_freshness_stage_seconds, every event of the load, read off 1-2-5 buckets): capture = the event’s occurredAt (in the command’s transaction) → the record’s timestamp (Debezium read the change from the WAL); delivery = that timestamp → the worker took the batch from Kafka (Connect’s producer, the broker, the fetch, and waiting behind the partition’s previous chunk); apply = taken → written with its checkpoint.',
        ...runs.flatMap((run) => MODELS.filter((m) => run.timedOut[m]).map((m) => `${m} at ${run.rate}/s: ${run.timedOut[m]} changes not visible within ${GIVE_UP_MS / 1000} s`)),
        ...loadNotes(measurements.filter((m) => m.id.startsWith('commands'))),
      ],
    };
  },
};
