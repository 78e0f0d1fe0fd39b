// One `outflow projections rebuild` as its own process, for a benchmark copy of a projection:
// the same rebuildProjection() the CLI runs (replay, catch-up, switch). Prints its result as JSON.
//   node --import tsx bench/history/benchRebuildProcess.ts <projection> <runId> <label> <topicMap JSON> <parallel>
import { config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { rebuildProjection } from '../../projectors/generations/projectionRebuild.ts';
import { benchProjection } from './benchProjections.ts';

const [projection, runId, label, topicMap, parallel] = process.argv.slice(2);
if (!projection || !runId || label === undefined || !topicMap || !parallel) {
  console.error('usage: benchRebuildProcess.ts <projection> <runId> <label> <topicMap JSON> <parallel>');
  process.exit(2);
}
const base = config();
// No live worker follows a benchmark copy: do not wait for one to take over after the switch.
const cfg = { ...base, logLevel: 'warn' as const, rebuild: { ...base.rebuild, handoverTimeoutMs: 0, maxConcurrent: 16 } };
const result = await rebuildProjection({
  config: cfg,
  definition: benchProjection(projection, runId, JSON.parse(topicMap) as Record<string, string>, label),
  parallel: Number(parallel),
  concurrency: 3,
  log: createLogger('bench-rebuild', 'warn'),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
