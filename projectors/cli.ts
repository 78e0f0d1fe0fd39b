// `outflow projector run` and `outflow dlq list|retry|skip`. The projections come from
// projectors/projections/index.ts; modules are loaded on use so other subcommands start
// without the stores' clients.
import { InvalidArgumentError, type Command } from 'commander';
import { config } from '../lib/config.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import { positiveInteger, registerDlqCommands } from './dlqCli.ts';

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
  generation: number;
  httpPort?: number;
}

export function registerProjectorCommands(program: Command): void {
  const projector = program.command('projector').description('projector workers: consume the event topics into the read models');
  projector
    .command('run')
    .description('run a worker for some or all projections until SIGTERM/SIGINT (start as many as you like: they share the partitions)')
    .option('--projections <names>', 'comma-separated projection names (default: all)', nameList)
    .option('--concurrency <n>', 'partitions each projection processes at once', positiveInteger, 3)
    .option('--generation <n>', 'physical generation to build and serve', positiveInteger, 1)
    .option('--http-port <port>', '/health and /metrics port, 0 = any free port (default OUTFLOW_PROJECTOR_HTTP_PORT or 13100)', port)
    .action(async (options: RunOptions) => {
      const { allProjections } = await import('./projections/index.ts');
      const { runProjectors, selectProjections } = await import('./runtime/projectorWorker.ts');
      const projections = selectProjections(allProjections, options.projections);
      const worker = await runProjectors({
        config: config(),
        projections,
        generation: options.generation,
        concurrency: options.concurrency,
        httpPort: options.httpPort,
      });
      worker.log.info({ projections: projections.map((p) => p.name), generation: worker.generation, httpPort: worker.httpPort }, 'projector worker running');
      onShutdown((message) => worker.log.info(message), () => worker.stop());
    });
  registerDlqCommands(program);
}
