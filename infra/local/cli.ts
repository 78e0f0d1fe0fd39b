// `outflow stack up|down|status|logs`: the native local stack.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { formatTable } from '../../lib/table.ts';
import { loadConfig } from '../../lib/config.ts';
import { LocalStack, type ComponentStatus } from './localStack.ts';
import { testStackEnvironment } from './testStackInstance.ts';
import { tailFile } from './processControl.ts';

export function printStatusTable(statuses: readonly ComponentStatus[]): void {
  console.log(
    formatTable(
      ['component', 'version', 'port', 'pid', 'health', 'detail', 'data dir'],
      statuses.map((s) => [s.name, s.version, String(s.port), s.pid ? String(s.pid) : '-', s.health, s.detail, s.dataDir]),
    ),
  );
}

const TEST_OPTION = ['--test', "the test suite's own instance (.stack-test/, ports +10,000) instead of the user's"] as const;

/** The user's stack, or with --test the test suite's own instance. */
function selectedStack(options: { test?: boolean }): LocalStack {
  return options.test ? new LocalStack({ config: loadConfig(testStackEnvironment(process.env)) }) : new LocalStack();
}

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('run the native local stack (Postgres, Redis, Kafka, Connect + Debezium, Apicurio Registry, Elasticsearch)');

  stack
    .command('up')
    .description('start every component that is not running and wait until each is healthy (idempotent)')
    .argument('[components...]', 'only these components (default: all)')
    .option('--json', 'print the status as JSON')
    .option(...TEST_OPTION)
    .action(async (components: string[], options: { json?: boolean; test?: boolean }) => {
      const started = Date.now();
      const { statuses } = await selectedStack(options).up(components);
      if (options.json) console.log(JSON.stringify(statuses, null, 2));
      else printStatusTable(statuses);
      console.error(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  stack
    .command('down')
    .description('stop the components the stack started (by pid); data is kept unless --wipe')
    .argument('[components...]', 'only these components (default: all)')
    .option('--wipe', 'also delete their data (all of .stack/ when no component is named)')
    .option(...TEST_OPTION)
    .action(async (components: string[], options: { wipe?: boolean; test?: boolean }) => {
      const stopped = await selectedStack(options).down({ names: components, wipe: options.wipe ?? false });
      console.error(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
    });

  stack
    .command('status')
    .description('show each component and its health; exits 1 if any is not healthy')
    .argument('[components...]', 'only these components (default: all)')
    .option('--json', 'print the status as JSON')
    .option(...TEST_OPTION)
    .action(async (components: string[], options: { json?: boolean; test?: boolean }) => {
      const statuses = await selectedStack(options).status(components);
      if (options.json) console.log(JSON.stringify(statuses, null, 2));
      else printStatusTable(statuses);
      const unhealthy = statuses.filter((s) => s.health !== 'healthy');
      if (unhealthy.length) {
        console.error(`not healthy: ${unhealthy.map((s) => `${s.name} (${s.health})`).join(', ')}; start them with: outflow stack up`);
        process.exitCode = 1;
      }
    });

  stack
    .command('logs')
    .description("print the end of a component's log")
    .argument('<component>', 'postgres, redis, kafka, registry, kafka-connect or elasticsearch')
    .option('-n, --lines <n>', 'how many lines', '50')
    .option('-f, --follow', 'keep printing as the log grows')
    .option(...TEST_OPTION)
    .action(async (name: string, options: { lines: string; follow?: boolean; test?: boolean }) => {
      const [component] = selectedStack(options).select([name]);
      if (!component) return;
      const lines = Number.parseInt(options.lines, 10);
      if (!options.follow) {
        console.log(tailFile(component.logFile, Number.isInteger(lines) && lines > 0 ? lines : 50));
        return;
      }
      const child = spawn('tail', ['-n', String(lines), '-F', component.logFile], { stdio: 'inherit' });
      await new Promise((resolve) => child.on('close', resolve));
    });
}
