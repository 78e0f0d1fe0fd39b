// A projector worker's probes on the real stack: /health/ready answers 503 until every assigned
// partition's store checkpoint has reached the log's end (readiness = caught up), then 200;
// /health/live is 200 while it makes progress. The stall logic itself is in the unit test
// (runtimePartitionProgress).
import t from 'tap';
import { config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import type { ProgressReport } from '../../projectors/runtime/projectorHttp.ts';
import { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';

const h = await pipelineHarness(t);

async function probe(port: number, path: string): Promise<{ status: number; report: ProgressReport }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, report: (await response.json()) as ProgressReport };
}

t.test('a new generation: /health/ready 503 while behind, 200 once caught up; /health/live 200', async (t) => {
  // Something to catch up on in the topics, whatever ran before.
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(40, 2);
  const generation = h.newGeneration();
  const base = config();
  const worker = await ProjectorWorker.start({
    // Ready only when nothing at all is left to apply, so "caught up" is exact here.
    config: { ...base, logLevel: 'silent', projector: { ...base.projector, readyLag: 0 } },
    projections: [orderSummaryProjection],
    generation,
    httpPort: 0,
    log: createLogger('projector-test', 'silent'),
  });
  t.teardown(() => worker.stop());
  const port = worker.httpPort!;

  const first = await probe(port, '/health/ready');
  t.equal(first.status, 503, 'not ready before its partitions are sampled and caught up');
  t.equal(first.report.ready, false);
  t.ok(first.report.projections['order-summary']!.behind.length > 0, `behind: ${JSON.stringify(first.report.projections['order-summary']!.behind.slice(0, 3))}`);

  const ready = await pollUntil('ready', async () => {
    const answer = await probe(port, '/health/ready');
    return answer.status === 200 ? answer.report : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  const summary = ready.projections['order-summary']!;
  t.same({ ready: summary.ready, behind: summary.behind }, { ready: true, behind: [] }, 'every assigned partition caught up');
  t.equal(summary.state, 'running');

  const live = await probe(port, '/health/live');
  t.equal(live.status, 200);
  t.same(live.report.projections['order-summary']!.stalled, [], 'nothing stalled');
  t.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, '/health unchanged');
});
