// Two workers of one projection share its partitions through the consumer group; when one is
// killed the other takes them all over, and the read model still equals the write model.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { pipelineHarness, waitForAssignment } from '../support/pipelineHarness.ts';
import { testSeed } from '../support/testSeed.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { config } from '../../lib/config.ts';

const h = await pipelineHarness(t);
const ORDER_TOPIC = 'events.order';

t.test('two workers split the partitions; kill one, the other takes over; zero differences', async (t) => {
  const generation = h.newGeneration();
  const projections = ['order-summary'];
  const a = await h.spawnWorker({ generation, projections });
  const b = await h.spawnWorker({ generation, projections });
  const split = await pollUntil('both workers assigned', async () => {
    const ofA = (await a.health()).projections['order-summary']?.assignment[ORDER_TOPIC] ?? [];
    const ofB = (await b.health()).projections['order-summary']?.assignment[ORDER_TOPIC] ?? [];
    return ofA.length > 0 && ofB.length > 0 && ofA.length + ofB.length === config().events.partitions ? { ofA, ofB } : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
  t.same(split.ofA.filter((p) => split.ofB.includes(p)), [], 'no partition is assigned twice');
  t.same([...split.ofA, ...split.ofB].sort((x, y) => x - y), Array.from({ length: config().events.partitions }, (_, i) => i), 'every partition is assigned');
  t.comment(`split ${split.ofA.length}/${split.ofB.length}`);

  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  const loading = load.run(600, 4);
  await pollUntil('a third of the load sent', async () => (load.tally.sent >= 200 ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });
  await a.kill('SIGKILL');
  // The group notices the dead member after its session timeout, then b gets everything.
  const taken = await waitForAssignment(b, 'order-summary', ORDER_TOPIC, (n) => n === config().events.partitions);
  t.equal(taken.length, config().events.partitions, 'the survivor owns every partition');
  await loading;

  const report = await h.verify(generation, projections);
  t.same(report.differences.slice(0, 10), [], 'no differences');
  t.equal(report.differences.length, 0);
});
