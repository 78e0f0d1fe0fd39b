// Redis, then Elasticsearch, stopped for 20 s each while commands stream in: the workers
// retry (the partition pauses, nothing is skipped), nothing new goes to the DLQ, and once the
// stores are back every read model equals the write model.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { testSeed } from '../support/testSeed.ts';
import { RandomCommands } from '../support/randomCommands.ts';

const h = await pipelineHarness(t);
const stack = new LocalStack({ log: () => {} });
// Whatever happens, the stores run again for the tests after this one.
t.teardown(async () => {
  await stack.up(['redis', 'elasticsearch']);
});

const parkedKeysOf = (report: Awaited<ReturnType<typeof h.verify>>) => Object.fromEntries(report.projections.map((p) => [p.projection, [...p.parkedKeys].sort()]));

t.test('Redis and Elasticsearch each down for 20 s under load: retries, no DLQ, zero differences', async (t) => {
  const generation = h.newGeneration();
  const worker = await h.spawnWorker({ generation });
  // The history is caught up first, so anything parked later would be the outage's doing.
  const before = await h.verify(generation);
  t.equal(before.differences.length, 0, 'caught up and equal before the outage');

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  // Commands keep coming through both outages and a little after.
  const loading = load.run(Infinity, 2);
  // Between the outages, a number of commands rather than a time: the pipeline has work with every store up.
  const moreCommands = (count: number) => {
    const target = load.tally.sent + count;
    return pollUntil(`${count} more commands sent`, async () => (load.tally.sent >= target ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });
  };
  try {
    for (const store of ['redis', 'elasticsearch']) {
      await moreCommands(50);
      await stack.down({ names: [store] });
      const sentWhenStopped = load.tally.sent;
      // The outage itself is under test: 20 s down, not a wait for anything.
      await sleep(20_000);
      const sentMeanwhile = load.tally.sent - sentWhenStopped;
      t.ok(sentMeanwhile > 0, `${store} was down for 20 s; ${sentMeanwhile} commands arrived meanwhile`);
      await stack.up([store]);
    }
    await moreCommands(50);
  } finally {
    load.stop();
  }
  await loading;

  const retries = (await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text())
    .split('\n')
    .filter((line) => line.startsWith('outflow_projector_retries_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  t.ok(retries > 0, `the worker retried (${retries} retries)`);
  t.equal((await worker.health()).status, 'ok', 'and is healthy again');

  const after = await h.verify(generation);
  t.same(after.differences.slice(0, 10), [], 'no differences');
  t.equal(after.differences.length, 0);
  t.same(parkedKeysOf(after), parkedKeysOf(before), 'nothing was parked during the outage');
});
