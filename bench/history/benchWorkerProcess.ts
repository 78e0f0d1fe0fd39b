// One projector worker as its own process, the way `outflow projector run` runs one, but for a
// benchmark copy of a projection (benchProjections.ts). The parent measures it from outside:
// store checkpoints for progress, /health for its partitions, /proc for its memory.
//   node --import tsx bench/history/benchWorkerProcess.ts <projection> <runId> <label> <generation> <topicMap JSON> <httpPort: 0 = any free port>
import { config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';
import { benchProjection } from './benchProjections.ts';

const [projection, runId, label, generation, topicMap, httpPort] = process.argv.slice(2);
if (!projection || !runId || label === undefined || !generation || !topicMap || !httpPort) {
  console.error('usage: benchWorkerProcess.ts <projection> <runId> <label> <generation> <topicMap JSON> <httpPort>');
  process.exit(2);
}
const cfg = { ...config(), logLevel: 'warn' as const };
const worker = await ProjectorWorker.start({
  config: cfg,
  projections: [benchProjection(projection, runId, JSON.parse(topicMap) as Record<string, string>, label)],
  generation: Number(generation),
  httpPort: Number(httpPort),
  clientId: `outflow-bench-worker-${process.pid}`,
  log: createLogger('bench-worker', 'warn'),
});
process.stdout.write(`ready ${worker.httpPort}\n`);
const stop = () => {
  void worker.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
