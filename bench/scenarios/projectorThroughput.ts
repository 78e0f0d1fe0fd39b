// Scenario 4: projector throughput per worker, per store. The preloaded history replayed from
// offset 0 by one worker process per projection (one at a time, so each has the machine), events/s
// from the store's own checkpoints. References: a kafkajs consumer reading the same topics and
// doing nothing (the ceiling), and each store's bulk path writing the same final documents.
import type { ChartSpec, ComparisonRow, GoalCheck, Measurement } from '../benchResult.ts';
import { allProjections } from '../../read-models/registry.ts';
import { elasticsearchIndexOf } from '../../projectors/stores/elasticsearchLayout.ts';
import { postgresTableName, type PostgresProjectionDefinition } from '../../projectors/stores/postgresStore.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { dropBenchProjection } from '../history/benchCleanup.ts';
import type { OrderEventRow } from '../history/eventHistory.ts';
import { benchProjection, storeKindOf, type StoreKind } from '../history/benchProjections.ts';
import { spawnBenchWorker, watchGeneration } from '../history/benchWorkers.ts';
import type { JdbcSinkRow } from '../references/connectJsonRecords.ts';
import { measureJdbcSink, type JdbcSinkMeasurement } from '../references/jdbcSinkReference.ts';
import { measureRawConsume } from '../references/rawKafkaConsume.ts';
import { elasticsearchBulkRewrite, postgresBulkRewrite, redisBulkRewrite, type BulkWriteFigures } from '../references/storeBulkWrites.ts';
import { cpuSnapshot, cpuUseBetween, localStackPids, machineBusyPercent, type CpuSnapshot } from '../load/stackCpu.ts';
import { goal, ratioOf, row, type Scenario } from '../scenario.ts';

/** The stack component holding each kind of read model. */
const STORE_COMPONENT: Record<StoreKind, string> = { redis: 'redis', elasticsearch: 'elasticsearch', postgres: 'postgres-read' };

const GOALS: Record<StoreKind, { figure: string; goal: number; unit: string }> = {
  redis: { figure: 'projector throughput per worker, Redis', goal: 30_000, unit: 'events/s' },
  postgres: { figure: 'projector throughput per worker, Postgres', goal: 10_000, unit: 'events/s' },
  elasticsearch: { figure: 'projector throughput per worker, Elasticsearch', goal: 8_000, unit: 'events/s' },
};

/** events/s between 10% and 90% of the replay: the rate without start-up and the last stragglers. */
function steadyRate(samples: readonly [number, number][], total: number): number | undefined {
  const from = samples.find(([, done]) => done >= total * 0.1);
  const to = samples.find(([, done]) => done >= total * 0.9);
  if (!from || !to || to[0] <= from[0]) return undefined;
  return Math.round((to[1] - from[1]) / ((to[0] - from[0]) / 1000));
}

const ORDER_EVENT_FIELDS = [
  { name: 'order_id', type: 'string' },
  { name: 'customer_id', type: 'string' },
  { name: 'status', type: 'string' },
  { name: 'total_cents', type: 'int64' },
  { name: 'item_count', type: 'int32' },
  { name: 'occurred_at', type: 'int64' },
  { name: 'version', type: 'int64' },
] as const;

function* orderEventChunks(events: readonly OrderEventRow[]): Generator<JdbcSinkRow[]> {
  for (let i = 0; i < events.length; i += 5000) {
    yield events.slice(i, i + 5000).map((e) => ({
      key: e.orderId,
      value: { order_id: e.orderId, customer_id: e.customerId, status: e.status, total_cents: e.totalCents, item_count: e.itemCount, occurred_at: e.occurredAt, version: e.version },
    }));
  }
}

export const projectorThroughputScenario: Scenario = {
  name: 'projector-throughput',
  title: 'Projector throughput per worker, per store',
  async run(context) {
    const { connections, progress, runId } = context;
    const history = await context.history();
    const measurements: Measurement[] = [];
    const rows: ComparisonRow[] = [];
    const goals: GoalCheck[] = [];
    const notes: string[] = [];
    const rawByTopics = new Map<string, { events: number; seconds: number; eventsPerSecond: number }>();
    const chart: ChartSpec = { id: 'throughput', title: 'Events per second, one worker per projection', unit: 'events/s', categories: [], series: [] };
    const ours: (number | null)[] = [];
    const raw: (number | null)[] = [];
    const bulk: (number | null)[] = [];

    for (const original of allProjections) {
      const definition = benchProjection(original.name, runId, history.topics);
      const kind = storeKindOf(original);
      context.onClose(() => dropBenchProjection(context, definition, [1]));
      const watch = await watchGeneration(context, definition, 1);
      progress.note(`projector-throughput: ${original.name} (${kind}) replaying ${watch.total.toLocaleString('en')} events in one worker process`);
      const samples: [number, number][] = [];
      const began = performance.now();
      const worker = await spawnBenchWorker(context, { projection: original.name, generation: 1 });
      // Where the CPU goes per event over the steady part of the replay (10%-90%, as steadyRate).
      const watched = [{ name: 'worker', pid: worker.pid }, ...localStackPids().filter((c) => c.name === STORE_COMPONENT[kind] || c.name === 'kafka')];
      let cpuFrom: { snapshot: CpuSnapshot; done: number } | undefined;
      let cpuTo: { snapshot: CpuSnapshot; done: number } | undefined;
      await watch.untilComplete({
        timeoutMs: 1_800_000,
        onProgress: (done, total) => {
          if (!cpuFrom && done >= total * 0.1) cpuFrom = { snapshot: cpuSnapshot(watched), done };
          if (!cpuTo && done >= total * 0.9) cpuTo = { snapshot: cpuSnapshot(watched), done };
          samples.push([performance.now(), done]);
          progress.update('projector-throughput', `${original.name} ${done}/${total}`);
        },
      });
      const seconds = (performance.now() - began) / 1000;
      const peakRss = await worker.peakRssMiB();
      await worker.stop();
      const rate = Math.round(watch.total / seconds);
      const steady = steadyRate(samples, watch.total);
      measurements.push({ id: `ours.${original.name}`, label: `${original.name} (${kind})`, subject: 'ours', value: rate, unit: 'events/s', details: { events: watch.total, seconds, steadyEventsPerSecond: steady, peakRssMiB: peakRss } });
      const cpuRows: ComparisonRow[] = [];
      if (cpuFrom && cpuTo && cpuTo.done > cpuFrom.done) {
        const use = cpuUseBetween(cpuFrom.snapshot, cpuTo.snapshot);
        const events = cpuTo.done - cpuFrom.done;
        const perEventUs = (ms: number) => Math.round((ms * 1000 * 10) / events) / 10;
        const parts: [id: string, name: string, ms: number][] = [
          ...[...use.components].map(([id, ms]): [string, string, number] => [id, id === 'worker' ? 'the worker' : id, ms]),
          ['rest', 'the rest of the machine (the idle stack, the benchmark, the kernel)', use.rest],
          ['machine', 'the whole machine', use.machine],
        ];
        for (const [id, name, ms] of parts) {
          measurements.push({ id: `ours.${original.name}.cpu.${id}`, label: `${original.name}: ${name} CPU per event`, subject: 'ours', value: perEventUs(ms), unit: 'µs', details: { cpuMs: ms, events, wallMs: use.wallMs } });
          cpuRows.push(row(`${original.name}: CPU per event (10%-90%), ${name}`, 'µs', perEventUs(ms)));
        }
        cpuRows.push(row(`${original.name}: machine busy (10%-90%)`, '%', machineBusyPercent(use)));
      }

      const topics = topicsOf(definition);
      const topicKey = topics.join(',');
      if (!rawByTopics.has(topicKey)) {
        progress.note(`projector-throughput: raw kafkajs consumer on ${topicKey}`);
        rawByTopics.set(topicKey, await measureRawConsume({ kafka: connections.kafka, admin: connections.admin, topics, groupId: `bench.${runId}.raw.${rawByTopics.size}`, timeoutMs: 600_000 }));
      }
      const ceiling = rawByTopics.get(topicKey)!;
      measurements.push({ id: `reference.raw-consume.${original.name}`, label: `raw kafkajs consume (${original.name}'s topics)`, subject: 'reference', value: ceiling.eventsPerSecond, unit: 'events/s', details: ceiling });

      progress.note(`projector-throughput: ${kind} bulk path writing ${original.name}'s final documents`);
      let written: BulkWriteFigures;
      if (kind === 'redis') written = await redisBulkRewrite(connections.redis, definition.name, 1, `bench:${runId}:bulk:${original.name}:`);
      // One index request per event: the product documents are few and each event rewrites one.
      else if (kind === 'elasticsearch') written = await elasticsearchBulkRewrite(connections.elasticsearch, elasticsearchIndexOf(definition.name, 1), `outflow-bench-${runId}-bulk`, watch.total);
      else {
        const tables = Object.keys((definition as PostgresProjectionDefinition).tables).map((thing) => postgresTableName(definition.name, 1, thing));
        written = await postgresBulkRewrite(connections.readPostgres, tables, 'bulk');
      }
      measurements.push({ id: `reference.bulk.${original.name}`, label: `${kind} bulk write of the same final documents`, subject: 'reference', value: written.documentsPerSecond, unit: 'documents/s', details: { ...written } });
      const bulkEventsPerSecond = Math.round(watch.total / written.seconds);
      let jdbc: JdbcSinkMeasurement | undefined;
      let jdbcNote: string | undefined;
      if (kind === 'postgres') {
        progress.note(`projector-throughput: Debezium JDBC sink connector on a copy of the ${history.orderEvents.length.toLocaleString('en')} order events`);
        try {
          jdbc = await measureJdbcSink({
            config: context.config,
            runId: `${runId}-sales`,
            rows: orderEventChunks(history.orderEvents),
            fields: ORDER_EVENT_FIELDS,
            onProgress: (done, total) => progress.update('projector-throughput', `JDBC sink ${done}/${total}`),
          });
          measurements.push({ id: 'reference.jdbc-sink', label: 'Debezium JDBC sink connector (1 task)', subject: 'reference', value: jdbc.eventsPerSecondWithStartup, unit: 'events/s', details: { ...jdbc } });
        } catch (error) {
          jdbcNote = `Debezium JDBC sink not measured: ${error instanceof Error ? error.message : String(error)}`;
          notes.push(jdbcNote);
        }
      }

      rows.push(
        row(`${original.name} (${kind}): events/s`, 'events/s', rate, { label: 'raw kafkajs consume', value: ceiling.eventsPerSecond }),
        row(`${original.name}: steady events/s (10%-90%)`, 'events/s', steady ?? Number.NaN, { label: 'raw kafkajs consume', value: ceiling.eventsPerSecond }),
        row(`${original.name}: wall time for ${watch.total.toLocaleString('en')} events`, 's', Math.round(seconds * 10) / 10, {
          label: `${kind} bulk write of the ${written.documents.toLocaleString('en')} final documents`,
          value: written.seconds,
        }),
        row(`${original.name}: worker peak RSS`, 'MiB', peakRss ?? Number.NaN),
        ...cpuRows,
      );
      if (kind === 'postgres') {
        rows.push(
          row(`${original.name}: events/s vs the JDBC sink`, 'events/s', rate, {
            label: `Debezium JDBC sink ${jdbc?.connectorVersion ?? ''}, 1 task, upsert, start-up included`,
            value: jdbc?.eventsPerSecondWithStartup,
            note: jdbcNote,
          }),
        );
      }
      chart.categories.push(original.name);
      ours.push(rate);
      raw.push(ceiling.eventsPerSecond);
      bulk.push(bulkEventsPerSecond);

      const target = GOALS[kind];
      if (!goals.some((g) => g.figure === target.figure)) {
        goals.push(
          goal(
            {
              figure: target.figure,
              goal: `≥ ${target.goal.toLocaleString('en')} ${target.unit}${kind === 'redis' ? ', ratio to raw consume ≥ 0.6' : ''}`,
              measured: rate,
              unit: target.unit,
              reference: kind === 'redis'
                ? { label: 'raw kafkajs consume of the same topic', value: ceiling.eventsPerSecond, unit: 'events/s' }
                : kind === 'elasticsearch'
                  ? { label: 'ES _bulk of the same documents, one index request per event', value: bulkEventsPerSecond, unit: 'docs/s' }
                  : jdbc
                    ? { label: 'Debezium JDBC sink connector on a copy of the events', value: jdbc.eventsPerSecondWithStartup, unit: 'events/s' }
                    : { label: 'multi-row INSERT of the same rows (as events/s)', value: bulkEventsPerSecond, unit: 'events/s' },
              ratio: ratioOf(rate, kind === 'redis' ? ceiling.eventsPerSecond : kind === 'postgres' && jdbc ? jdbc.eventsPerSecondWithStartup : bulkEventsPerSecond),
            },
            (measured) => measured >= target.goal && (kind !== 'redis' || (ratioOf(measured, ceiling.eventsPerSecond) ?? 0) >= 0.6),
          ),
        );
      }
      await watch.close();
    }
    chart.series = [
      { name: 'one worker (ours)', subject: 'ours', values: ours },
      { name: 'raw kafkajs consume', subject: 'reference', values: raw },
      { name: 'store bulk write of the final state (as events/s)', subject: 'reference', values: bulk },
    ];
    notes.push(
      `History: ${history.events.toLocaleString('en')} events (${history.orders.size.toLocaleString('en')} orders, ${history.products} products, ${history.customers} customers) on ${Object.keys(history.topics).length} topics of ${context.config.events.partitions} partitions; each projection reads its own topics of it.`,
      'CPU per event: CPU time of the worker process, of the store holding the read model and of Kafka (each with its child processes, from /proc), and of the whole machine, between the moments the replay passed 10% and 90% of its events, divided by the events applied in between.',
      'Each worker is a separate process running the production runtime (3 partitions at a time, 500-message chunks) on a benchmark copy of the projection; the rate counts from its spawn to the last checkpoint, start-up included.',
      'The Redis and Postgres bulk references write the final state (one document per order, customer or report row) straight to the store: fewer writes than events, no checkpoints, no idempotency; their events/s is the history\'s events divided by that time. The Elasticsearch one sends one index request per event (the product documents, cycled), 5,000 per _bulk, since its final state is only a few thousand documents.',
      'Debezium JDBC sink reference (Postgres): the order events as flat rows (order id, customer, status, total, item count, time, version) in Kafka Connect JSON with schemas, upserted by order id into one table of the read-model Postgres by one task (batch.size 2000). Its figure includes the task start; the sink writes one row per order where sales-report also maintains daily and per-category aggregates.',
    );
    return { parameters: { events: history.events, partitions: context.config.events.partitions, workerConcurrency: 3, chunkSize: 500 }, measurements, rows, goals, charts: [chart], notes };
  },
};
