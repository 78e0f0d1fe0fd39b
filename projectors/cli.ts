// `outflow projector run`, `outflow dlq list|retry|skip`, `outflow projections ...` (projectionsCli.ts)
// and `outflow verify`. The projections come from read-models/registry.ts; modules are loaded
// on use so other subcommands start without the stores' clients.
import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger } from '../lib/cliArguments.ts';
import { config } from '../lib/config.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import { registerDlqCommands } from './dlqCli.ts';
import { registerProjectionsCommands } from './projectionsCli.ts';

function port(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port between 0 (any free port) and 65535');
  return n;
}

function nameList(raw: string): string[] {
  return raw.split(',').map((name) => name.trim()).filter(Boolean);
}

interface RunOptions {
  projections?: string[];
  concurrency: number;
  generation?: number;
  httpPort?: number;
}

export function registerProjectorCommands(program: Command): void {
  const projector = program.command('projector').description('projector workers: consume the event topics into the read models');
  projector
    .command('run')
    .description('run a worker for some or all projections until SIGTERM/SIGINT (start as many as you like: they share the partitions)')
    .option('--projections <names>', 'comma-separated projection names (default: all)', nameList)
    .option('--concurrency <n>', 'partitions each projection processes at once', positiveInteger, 3)
    .option('--generation <n>', 'a fixed physical generation to build and serve (default: each projection\'s live generation, followed when it changes)', positiveInteger)
    .option('--http-port <port>', '/health and /metrics port, 0 = any free port (default OUTFLOW_PROJECTOR_HTTP_PORT or 13100)', port)
    .action(async (options: RunOptions) => {
      const { allProjections } = await import('../read-models/registry.ts');
      const { runProjectors, selectProjections } = await import('./runtime/projectorWorker.ts');
      const { registryLiveGenerations } = await import('./generations/registryLiveGenerations.ts');
      const projections = selectProjections(allProjections, options.projections);
      const { startTracing } = await import('../lib/tracing.ts');
      const stopTracing = await startTracing(config().tracing, 'outflow-projector');
      const worker = await runProjectors({
        config: config(),
        projections,
        generation: options.generation,
        liveGenerations: registryLiveGenerations,
        concurrency: options.concurrency,
        httpPort: options.httpPort,
      });
      worker.log.info({ projections: projections.map((p) => p.name), generation: worker.generation, httpPort: worker.httpPort }, 'projector worker running');
      onShutdown((message) => worker.log.info(message), () => worker.stop(), stopTracing);
    });
  registerDlqCommands(program);
  registerProjectionsCommands(program);
  registerVerifyCommand(program);
}

interface VerifyCliOptions {
  projections?: string[];
  generation?: number;
  timeout: number;
  rounds: number;
  show: number;
  json?: boolean;
}

function seconds(raw: string): number {
  const match = /^(\d+)(s|m)?$/.exec(raw.trim());
  if (!match) throw new InvalidArgumentError('expected a duration like 90, 90s or 2m');
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
}

function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('wait for the pipeline to catch up, compare every read model with the write model, exit 1 on any difference')
    .option('--projections <names>', 'comma-separated projection names (default: all)', nameList)
    .option('--generation <n>', "compare this physical generation of each projection instead of its live one (e.g. a rebuild's, before the switch)", positiveInteger)
    .option('--timeout <duration>', 'how long to wait for the connector and projections to catch up, per round', seconds, 120_000)
    .option('--rounds <n>', 'compare up to n times and report only differences seen every time (live traffic moves entities)', positiveInteger, 3)
    .option('--show <n>', 'differences to print', positiveInteger, 50)
    .option('--json', 'print the full report as JSON')
    .action(async (options: VerifyCliOptions) => {
      const { verifyPipeline } = await import('./verification/verifyPipeline.ts');
      const { verifyReportText } = await import('./verification/verifyReportText.ts');
      const { ReadModelsDiffer } = await import('../lib/errors.ts');
      const { allProjections } = await import('../read-models/registry.ts');
      const { generation } = options;
      const report = await verifyPipeline(config(), {
        projections: options.projections,
        ...(generation === undefined ? {} : { generations: Object.fromEntries(allProjections.map((p) => [p.name, generation])) }),
        timeoutMs: options.timeout,
        rounds: options.rounds,
        log: (line) => console.error(line),
      });
      console.log(options.json ? JSON.stringify(report, null, 2) : verifyReportText(report, options.show));
      if (report.differences.length > 0) {
        throw new ReadModelsDiffer(report.differences.length, [...new Set(report.differences.map((d) => d.projection))]);
      }
    });
}
