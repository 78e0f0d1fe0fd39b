// The freshness-stage breakdown the bench reads off the workers' own histograms: parsed from the
// exposition prom-client really writes, differenced between two scrapes, percentiles from buckets.
import client from 'prom-client';
import t from 'tap';
import { bucketQuantile, parseStageBuckets, stagesBetween } from '../../bench/scenarios/freshnessStages.ts';
import { createProjectorMetrics, freshnessStagesOf } from '../../projectors/runtime/projectorMetrics.ts';

t.test('bucketQuantile interpolates within the bucket holding the rank', async (t) => {
  const bounds = [1, 2, 5, 10, Infinity];
  // 10 observations: 4 in (0,1], 4 in (1,2], 2 in (5,10].
  const cumulative = [4, 8, 8, 10, 10];
  t.equal(bucketQuantile(bounds, cumulative, 0.2), 0.5, 'rank 2 of the 4 in the first bucket: halfway from 0 to 1');
  t.equal(bucketQuantile(bounds, cumulative, 0.6), 1.5, 'rank 6: halfway through (1,2]');
  t.equal(bucketQuantile(bounds, cumulative, 0.9), 7.5, 'an empty bucket is stepped over');
  t.equal(bucketQuantile(bounds, cumulative, 1), 10);
  t.ok(Number.isNaN(bucketQuantile(bounds, [0, 0, 0, 0, 0], 0.5)), 'no observations: NaN, not 0');
  t.equal(bucketQuantile(bounds, [0, 0, 0, 1, 3], 0.99), Infinity, 'beyond the last finite bound: Infinity, not the bound');
});

t.test('stages of the events between two scrapes of a real registry', async (t) => {
  const registry = new client.Registry();
  const metrics = createProjectorMetrics(registry);
  const orderSummary = freshnessStagesOf(metrics, 'order-summary');
  const salesReport = freshnessStagesOf(metrics, 'sales-report');
  // Before the load: slow events that must not count.
  for (let i = 0; i < 50; i++) orderSummary.delivery.observe(20);
  const before = parseStageBuckets(await registry.metrics());

  for (let i = 0; i < 100; i++) {
    orderSummary.capture.observe(0.0015); // (1, 2] ms
    orderSummary.delivery.observe(i < 98 ? 0.004 : 0.08); // (2, 5] ms, two in (50, 100] ms
    orderSummary.apply.observe(0.0008); // (0, 1] ms
  }
  salesReport.apply.observe(0.3);
  const stages = stagesBetween(before, parseStageBuckets(await registry.metrics()));

  const of = (projection: string, stage: string) => stages.find((s) => s.projection === projection && s.stage === stage)!;
  t.same(
    stages.map((s) => `${s.projection} ${s.stage}`),
    ['order-summary capture', 'order-summary delivery', 'order-summary apply', 'sales-report apply'],
    'sorted by projection, then in pipeline order; a series never observed is not exposed',
  );
  t.equal(of('order-summary', 'delivery').count, 100, 'the 50 earlier observations are differenced away');
  t.ok(of('order-summary', 'delivery').p50 > 2 && of('order-summary', 'delivery').p50 <= 5, 'delivery p50 in its bucket');
  t.ok(of('order-summary', 'delivery').p99 > 50 && of('order-summary', 'delivery').p99 <= 100, 'the two slow deliveries make the p99');
  t.ok(of('order-summary', 'capture').p99 > 1 && of('order-summary', 'capture').p99 <= 2);
  t.ok(of('order-summary', 'apply').p50 <= 1);
  t.equal(of('sales-report', 'apply').count, 1);
  t.ok(of('sales-report', 'apply').p50 > 200 && of('sales-report', 'apply').p50 <= 500, 'in milliseconds');
});

t.test('a series with no events between the scrapes has a count of 0 and no percentile', async (t) => {
  const registry = new client.Registry();
  const stages = freshnessStagesOf(createProjectorMetrics(registry), 'order-summary');
  stages.capture.observe(0.01);
  const before = parseStageBuckets(await registry.metrics());
  const [capture] = stagesBetween(before, parseStageBuckets(await registry.metrics()));
  t.equal(capture!.count, 0);
  t.ok(Number.isNaN(capture!.p99));
});
