// Scenario 6: scale-out. One worker process replays order-summary from the preloaded history at
// full speed; when it is about a third through, a second worker joins the same consumer group.
// Measured: the time until Kafka has split the partitions between the two (both report an
// assignment on /health), the rate before and after, and, once both are done, every order's
// read model against the history's final state (a missing or wrong order is loss, a version
// beyond the history's would be a duplicate applied twice).
import type { Measurement } from '../benchResult.ts';
import { parseOrderSummary } from '../../read-models/order-summary/projection.ts';
import { RedisKeyLayout } from '../../projectors/stores/redisKeys.ts';
import { dropBenchProjection } from '../history/benchCleanup.ts';
import { benchProjection } from '../history/benchProjections.ts';
import { spawnBenchWorker, watchGeneration, type BenchWorker } from '../history/benchWorkers.ts';
import { goal, row, type Scenario } from '../scenario.ts';

const PROJECTION = 'order-summary';

async function assignedPartitions(worker: BenchWorker): Promise<number> {
  try {
    const health = await worker.health();
    return Object.values(health.projections).reduce((sum, p) => sum + Object.values(p.assignment).reduce((n, partitions) => n + partitions.length, 0), 0);
  } catch {
    return 0;
  }
}

async function eventsApplied(worker: BenchWorker): Promise<number> {
  return (await worker.metrics())
    .split('\n')
    .filter((l) => l.startsWith('outflow_projector_events_applied_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const rateBetween = (a: [number, number] | undefined, b: [number, number] | undefined) => (a && b && b[0] > a[0] ? Math.round((b[1] - a[1]) / ((b[0] - a[0]) / 1000)) : Number.NaN);

export const scaleOutScenario: Scenario = {
  name: 'scale-out',
  title: 'Scale-out: a second worker joins a projection under load',
  async run(context) {
    const { progress, connections } = context;
    const history = await context.history();
    const definition = benchProjection(PROJECTION, context.runId, history.topics, 's');
    context.onClose(() => dropBenchProjection(context, definition, [1]));
    const watch = await watchGeneration(context, definition, 1);
    const partitions = watch.ranges.length;
    const samples: [number, number][] = [];
    const sample = async () => {
      const done = await watch.done();
      samples.push([performance.now(), done]);
      progress.update('scale-out', `${done}/${watch.total}`);
      return done;
    };
    progress.note(`scale-out: ${PROJECTION} replaying ${watch.total.toLocaleString('en')} events, a second worker joins at a third`);
    const first = await spawnBenchWorker(context, { projection: PROJECTION, label: 's', generation: 1 });
    const firstStarted = performance.now();
    while ((await sample()) < watch.total / 3 && performance.now() - firstStarted < 60_000) await new Promise((resolve) => setTimeout(resolve, 100));
    const joinAt = performance.now();
    const beforeJoin = samples.at(-1)!;
    const second = await spawnBenchWorker(context, { projection: PROJECTION, label: 's', generation: 1 });
    const secondReady = performance.now();
    let rebalancedAt: number | undefined;
    while (performance.now() - joinAt < 120_000) {
      const [a, b] = await Promise.all([assignedPartitions(first), assignedPartitions(second)]);
      await sample();
      if (a > 0 && b > 0 && a + b === partitions) {
        rebalancedAt = performance.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const afterRebalance = samples.at(-1)!;
    await watch.untilComplete({ timeoutMs: 1_800_000, pollMs: 100, onProgress: (done) => samples.push([performance.now(), done]) });
    const end = samples.find(([, done]) => done >= watch.total * 0.95) ?? samples.at(-1)!;
    const applied = (await eventsApplied(first)) + (await eventsApplied(second));
    const split = [await assignedPartitions(first), await assignedPartitions(second)];
    await Promise.all([first.stop(), second.stop()]);

    progress.note(`scale-out: comparing ${history.orders.size.toLocaleString('en')} orders with the history`);
    const layout = RedisKeyLayout.of(connections.redis, definition.name);
    const ids = [...history.orders.keys()];
    let missing = 0;
    let wrong = 0;
    let ahead = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      // Sent together, not as one pipeline: on a cluster the keys of a slice live on every primary.
      const hashes = await Promise.all(slice.map((id) => connections.redis.hgetall(layout.dataKey(1, `order:${id}`))));
      slice.forEach((id, j) => {
        const summary = parseOrderSummary(hashes[j]!);
        const expected = history.orders.get(id)!;
        if (!summary) missing++;
        else if (summary.version > expected.version) ahead++;
        else if (summary.status !== expected.status || summary.version !== expected.version) wrong++;
      });
    }
    await watch.close();
    const rebalanceSeconds = rebalancedAt === undefined ? Number.NaN : Math.round((rebalancedAt - joinAt) / 100) / 10;
    const fromReadySeconds = rebalancedAt === undefined ? Number.NaN : Math.round((rebalancedAt - secondReady) / 100) / 10;
    const before = rateBetween(samples.find(([t]) => t >= firstStarted + 1000) ?? samples[0], beforeJoin);
    const after = rateBetween(afterRebalance, end);
    const differences = missing + wrong + ahead;
    const measurements: Measurement[] = [
      { id: 'ours.rebalance', label: 'second worker spawned → partitions split between both', subject: 'ours', value: rebalanceSeconds, unit: 's', details: { fromProcessReadySeconds: fromReadySeconds, split } },
      { id: 'ours.rate-before', label: 'one worker', subject: 'ours', value: before, unit: 'events/s' },
      { id: 'ours.rate-after', label: 'two workers', subject: 'ours', value: after, unit: 'events/s' },
      { id: 'ours.differences', label: 'orders differing from the history', subject: 'ours', value: differences, unit: 'count', details: { missing, wrong, ahead, orders: ids.length } },
      { id: 'ours.redelivered', label: 'events handed to the store more than once (absorbed by the checkpoints)', subject: 'ours', value: Math.max(0, applied - watch.total), unit: 'count', details: { applied, events: watch.total } },
    ];
    return {
      parameters: { projection: PROJECTION, events: watch.total, partitions, joinAtFraction: 1 / 3 },
      measurements,
      rows: [
        row('rebalance: second worker spawned → both assigned', 's', rebalanceSeconds),
        row('rebalance: second worker ready → both assigned', 's', fromReadySeconds),
        row('throughput with one worker', 'events/s', before),
        row('throughput with two workers', 'events/s', after),
        row('partitions after the join (first, second)', 'count', split[1]!, { label: `first worker: ${split[0]}`, value: split[0] }),
        row('orders missing / wrong / ahead of the history', 'count', differences),
        row('redeliveries absorbed by the checkpoints', 'count', Math.max(0, applied - watch.total)),
      ],
      goals: [
        goal({ figure: 'scale-out: second worker joins', goal: 'rebalanced < 10 s, zero duplicates/loss', measured: rebalanceSeconds, unit: 's' }, (s) => s < 10 && differences === 0),
      ],
      charts: [
        { id: 'rate', title: 'order-summary events/s before and after the second worker joined', unit: 'events/s', categories: ['one worker', 'two workers'], series: [{ name: 'order-summary', subject: 'ours', values: [before, after].map((v) => (Number.isFinite(v) ? v : null)) }] },
      ],
      notes: [
        'The rebalance time includes starting the second process (Node, TypeScript loader, connections): about 1-2 s of it.',
        'Both workers share 2 cores with Kafka, Redis and the rest of the stack, so a second worker adds consumers, not CPU: on this machine the rate after the join shows the cost of the rebalance more than a gain.',
        ...(before !== before || after !== after ? ['The replay finished too soon to measure a rate before or after the join (history too small for this mode).'] : []),
      ],
    };
  },
};
