// Scenario 2: end-to-end freshness. The command mix at a steady rate (open loop) through the
// running pipeline; for a sample of the accepted commands (at most ~25 a second, so the polling
// itself does not load the stores), the time from the command API's answer (its transaction has
// committed) until the change is visible in each read model, polled every 2 ms:
//   order-summary / customer-orders (Redis), sales-report (read Postgres): the placed order;
//   product-search (Elasticsearch real-time GET): the re-priced product at its new version.
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
import { runOpenLoop } from '../load/openLoopLoad.ts';
import { measureKafkaRoundTrip } from '../references/kafkaRoundTrip.ts';
import { goal, latencyMeasurement, percentileChart, row, type Scenario } from '../scenario.ts';

const MODELS = ['order-summary', 'customer-orders', 'sales-report', 'product-search'] as const;
type Model = (typeof MODELS)[number];
const POLL_MS = 2;
const GIVE_UP_MS = 30_000;

export const endToEndFreshnessScenario: Scenario = {
  name: 'freshness',
  title: 'End-to-end freshness (command committed → visible in each read model)',
  async run(context) {
    const { sizes, connections, progress } = context;
    const rate = sizes.freshnessRate;
    const client = new CommandClient(context.config, connections.commandApi);
    const mix = new CommandMix(`${context.runId}-${this.name}`);
    await mix.seed(client);
    const histograms = Object.fromEntries(MODELS.map((m) => [m, new LatencyHistogram()])) as Record<Model, LatencyHistogram>;
    const timedOut: Record<Model, number> = { 'order-summary': 0, 'customer-orders': 0, 'sales-report': 0, 'product-search': 0 };
    const salesOrders = postgresReadTarget(SALES_REPORT, 'orders');
    const sampleEvery = Math.max(1, Math.ceil(rate / 25));
    const { redis, elasticsearch, readPostgres } = connections;
    const pending: Promise<void>[] = [];

    const until = async (model: Model, since: number, visible: () => Promise<boolean>) => {
      while (!(await visible())) {
        if (performance.now() - since > GIVE_UP_MS) {
          timedOut[model]++;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      histograms[model].record(performance.now() - since);
    };

    progress.note(`freshness: ${rate} commands/s for ${sizes.freshnessSeconds} s, every ${sampleEvery}th command followed into the read models`);
    const load = await runOpenLoop({
      rate,
      durationSeconds: sizes.freshnessSeconds,
      warmupSeconds: sizes.warmupSeconds,
      maxInFlight: 256,
      onProgress: (done, total) => progress.update('freshness', `${done}/${total} commands`),
      operation: async (i) => {
        const command = mix.next(i);
        const tracked = i % sampleEvery === 0 || (command.kind === 'reprice' && i % (sampleEvery * 3) < 20);
        const reply = await client.send(command.method, command.path, command.body);
        const at = performance.now();
        if (reply.status !== command.expect) throw new Error(`${command.method} ${command.path} answered ${reply.status}`);
        if (command.kind === 'place') mix.accepted(reply.body.aggregateId);
        if (!tracked || i < sizes.warmupSeconds * rate) return;
        const version = reply.body.version;
        if (command.kind === 'place') {
          const orderId = reply.body.aggregateId;
          const customerId = (command.body as { customerId: string }).customerId;
          pending.push(
            until('order-summary', at, async () => (await readOrderSummary(redis, orderId))?.version === version),
            until('customer-orders', at, async () => (await readCustomerOrders(redis, customerId, { limit: 20 })).orders.some((o) => o.orderId === orderId)),
            until('sales-report', at, async () => (await readPostgres.query(`SELECT 1 FROM ${salesOrders} WHERE order_id = $1`, [orderId])).rowCount === 1),
          );
        } else if (command.kind === 'reprice') {
          const sku = command.path.split('/').at(-1)!;
          pending.push(until('product-search', at, async () => ((await readProductDocument(elasticsearch, sku))?.productVersion ?? 0) >= version));
        }
      },
    });
    await Promise.all(pending);
    progress.note(`freshness: Kafka produce → consume reference at ${rate}/s for ${sizes.freshnessSeconds} s`);
    const roundTrip = await measureKafkaRoundTrip({
      kafka: connections.kafka,
      admin: connections.admin,
      topic: `bench.${context.runId}.roundtrip`,
      partitions: context.config.events.partitions,
      rate,
      durationSeconds: sizes.freshnessSeconds,
      onProgress: (done, total) => progress.update('freshness', `reference ${done}/${total}`),
    });
    const reference = latencyMeasurement('reference.kafka-round-trip', 'Kafka produce→consume', 'reference', roundTrip);
    const measurements: Measurement[] = [
      latencyMeasurement('commands', `commands at ${rate}/s (command latency)`, 'ours', load),
      ...MODELS.map((model) => ({
        id: `ours.${model}`,
        label: model,
        subject: 'ours' as const,
        latency: histograms[model].summary(),
        errors: timedOut[model],
        details: { pollMs: POLL_MS, giveUpMs: GIVE_UP_MS },
      })),
      reference,
    ];
    const ref = reference.latency!;
    const rows = MODELS.flatMap((model) => {
      const h = histograms[model].summary();
      return [
        row(`${model} p50`, 'ms', h.p50, { label: 'Kafka round trip', value: ref.p50 }),
        row(`${model} p99`, 'ms', h.p99, { label: 'Kafka round trip', value: ref.p99 }),
      ];
    });
    rows.push(row('commands achieved', 'cmd/s', Math.round(load.achievedRate * 10) / 10), row('samples (order-summary)', 'count', histograms['order-summary'].count));
    const redisP99 = Math.max(histograms['order-summary'].percentile(99), histograms['customer-orders'].percentile(99));
    return {
      parameters: { rate, seconds: sizes.freshnessSeconds, sampleEvery, pollMs: POLL_MS },
      measurements,
      rows,
      goals: [
        goal(
          {
            figure: `end-to-end freshness p99 (commit → visible in Redis) at ${rate} cmd/s`,
            seedTarget: '< 500 ms',
            goal: '< 100 ms',
            measured: redisP99,
            unit: 'ms',
            reference: { label: 'Kafka produce→consume round trip', value: ref.p99, unit: 'ms' },
            ratio: ref.p99 ? Math.round((redisP99 / ref.p99) * 100) / 100 : undefined,
          },
          (p99) => p99 < 100 && rate >= 500,
        ),
      ],
      charts: [percentileChart('freshness', `Freshness at ${rate} cmd/s`, measurements.filter((m) => m.id !== 'commands'))],
      notes: [
        'Freshness counts from the command API’s answer (after its commit) to the first poll that sees the change; the 2 ms poll adds up to 2 ms.',
        `A sample of the commands is followed (every ${sampleEvery}th, plus re-pricings for product-search) so the polling does not load the stores it measures.`,
        'product-search is checked with a real-time GET by id; full-text search sees a change after the index refresh (1 s).',
        ...MODELS.filter((m) => timedOut[m]).map((m) => `${m}: ${timedOut[m]} changes not visible within ${GIVE_UP_MS / 1000} s`),
        ...(load.errors ? [`${load.errors} commands failed, e.g. ${load.errorSamples[0]}`] : []),
      ],
    };
  },
};
