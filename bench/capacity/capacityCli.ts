// `outflow bench capacity`: how many of each unit a target rate needs, sized from the figures of
// a benchmark run's results (default: the published run). Reads files only; no stack needed.
import { InvalidArgumentError, type Command } from 'commander';
import { capacityPlanFor, DESIGN_TARGET, PUBLISHED_RESULTS } from './capacityDoc.ts';
import { renderCapacityPlan } from './capacityReport.ts';

function rate(raw: string): number {
  const value = Number(raw.replace(/_/g, ''));
  if (!/^\d[\d_]*$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('expected a whole number of operations per second, 1 or more (e.g. 10000)');
  return value;
}

export function registerCapacityCommand(bench: Command): void {
  bench
    .command('capacity')
    .description('size a deployment for a target rate from a benchmark run: partitions, replicas, workers, shards, brokers, each with its formula and inputs')
    .option('--results <dir>', 'the benchmark results to size from (<date>-<scenario>.json files)', PUBLISHED_RESULTS)
    .option('--writes <n>', 'target writes (commands) per second', rate, DESIGN_TARGET.writesPerSecond)
    .option('--reads <n>', 'target reads per second', rate, DESIGN_TARGET.readsPerSecond)
    .option('--json', 'print the whole plan (inputs, assumptions, lines) as JSON')
    .action((options: { results: string; writes: number; reads: number; json?: boolean }) => {
      const plan = capacityPlanFor(options.results, { writesPerSecond: options.writes, readsPerSecond: options.reads });
      console.log(options.json ? JSON.stringify(plan, null, 2) : renderCapacityPlan(plan).trimEnd());
    });
}
