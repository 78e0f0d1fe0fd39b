// kill -9 a projector worker (a real `outflow projector run` process) while commands stream
// in, start another: the new one resumes at each store's checkpoint + 1, and every read model
// equals the write model. Redelivery after the crash must not change any result.
import t from 'tap';
import { pollUntil } from '../../lib/pollUntil.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { testSeed } from '../support/testSeed.ts';
import { RandomCommands } from '../support/randomCommands.ts';

const h = await pipelineHarness(t);

t.test('kill -9 a worker mid-stream, start it again: zero differences', async (t) => {
  const generation = h.newGeneration();
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  const first = await h.spawnWorker({ generation });
  const loading = load.run(800, 4);
  // Mid-stream: the worker is applying this run's events when it dies.
  await pollUntil('a third of the load sent', async () => (load.tally.sent >= 250 ? true : undefined), { timeoutMs: 120_000, intervalMs: 50 });
  await first.kill('SIGKILL');
  t.comment(`killed after ${load.tally.sent} commands`);
  await h.spawnWorker({ generation });
  const tally = await loading;
  t.equal(tally.sent, 800);

  const report = await h.verify(generation);
  t.same(report.differences.slice(0, 10), [], 'no differences after the crash and restart');
  t.equal(report.differences.length, 0);
});
