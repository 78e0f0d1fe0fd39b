// `outflow status`: the whole pipeline on one screen, `--json` for tools, `--watch` to follow it.
// Exits 1 with the problems when it is not healthy, so a deploy can wait on it.
import { InvalidArgumentError, type Command } from 'commander';
import { config } from '../lib/config.ts';
import { PipelineUnhealthy } from '../lib/errors.ts';
import { projectorWorkerEndpoints } from '../infra/local/serviceComponents.ts';
import { onShutdown } from '../lib/gracefulShutdown.ts';
import { pipelineStatus } from './pipelineStatus.ts';
import { startStatusExporter } from './statusExporter.ts';
import { statusText } from './statusText.ts';
import { statusProblems } from './statusVerdict.ts';

function nonNegativeInteger(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

interface StatusCliOptions {
  json?: boolean;
  watch?: number | boolean;
  maxLag: number;
  sampleMs: number;
  workerMetrics?: string;
  serve?: number;
}

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description('the whole pipeline on one screen: connector and tasks, replication slot, topics, each projection (live generation, lag per partition, events/s, workers and their partitions, parked keys, freshness), rebuilds in progress; exits 1 with the reasons unless healthy')
    .option('--json', 'print the status (and the problems) as JSON')
    .option('--watch [seconds]', 'redraw every N seconds (default 2) until interrupted', nonNegativeInteger)
    .option('--max-lag <messages>', 'a projection further behind than this is a problem', nonNegativeInteger, 10_000)
    .option('--sample-ms <ms>', 'how long to watch checkpoints move for events/s', nonNegativeInteger, 1000)
    .option('--worker-metrics <urls>', "projector workers' /metrics URLs, comma-separated, for freshness (default: OUTFLOW_STATUS_WORKER_METRICS, else the local stack's workers)")
    .option('--serve <port>', 'instead of printing, serve the status as Prometheus metrics on GET /metrics (gathered on each scrape; 0: any free port), for infra/observability/', nonNegativeInteger)
    .action(async (options: StatusCliOptions) => {
      const cfg = config();
      if (options.serve !== undefined) {
        const server = await startStatusExporter(cfg, { port: options.serve });
        console.log(JSON.stringify({ msg: 'status exporter listening', httpPort: server.port, metrics: `http://${cfg.stack.host}:${server.port}/metrics` }));
        onShutdown((message) => console.error(message), () => server.close());
        return;
      }
      const urls = (options.workerMetrics ?? process.env.OUTFLOW_STATUS_WORKER_METRICS)?.split(',').map((u) => u.trim()).filter(Boolean) ?? projectorWorkerEndpoints(cfg).map((w) => w.metricsUrl);
      const once = async () => {
        const status = await pipelineStatus(cfg, { sampleMs: options.sampleMs, workerMetricsUrls: urls });
        const problems = statusProblems(status, { maxLag: options.maxLag });
        return { status, problems, text: options.json ? JSON.stringify({ healthy: problems.length === 0, problems, ...status }, null, 2) : statusText(status, problems) };
      };
      if (options.watch !== undefined) {
        const seconds = options.watch === true ? 2 : Math.max(1, Number(options.watch));
        for (;;) {
          const { text } = await once();
          process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        }
      }
      const { problems, text } = await once();
      console.log(text);
      if (problems.length) throw new PipelineUnhealthy(problems);
    });
}
