// `outflow stack up|down|status|logs`: the native local stack.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { formatTable } from '../../lib/table.ts';
import { LocalStack, type ComponentStatus } from './localStack.ts';
import { tailFile } from './processControl.ts';

export function printStatusTable(statuses: readonly ComponentStatus[]): void {
  console.log(
    formatTable(
      ['component', 'version', 'port', 'pid', 'health', 'detail', 'data dir'],
      statuses.map((s) => [s.name, s.version, String(s.port), s.pid ? String(s.pid) : '-', s.health, s.detail, s.dataDir]),
    ),
  );
}

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('run the native local stack (Postgres, Redis, Kafka, Connect + Debezium, Apicurio Registry, Elasticsearch)');

  stack
    .command('up')
    .description('start every component that is not running and wait until each is healthy (idempotent)')
    .argument('[components...]', 'only these components (default: all)')
    .option('--json', 'print the status as JSON')
    .action(async (components: string[], options: { json?: boolean }) => {
      const started = Date.now();
      const { statuses } = await new LocalStack().up(components);
      if (options.json) console.log(JSON.stringify(statuses, null, 2));
      else printStatusTable(statuses);
      console.error(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  stack
    .command('down')
    .description('stop the components the stack started (by pid); data is kept unless --wipe')
    .argument('[components...]', 'only these components (default: all)')
    .option('--wipe', 'also delete their data (all of .stack/ when no component is named)')
    .action(async (components: string[], options: { wipe?: boolean }) => {
      const stopped = await new LocalStack().down({ names: components, wipe: options.wipe ?? false });
      console.error(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
    });

  stack
    .command('status')
    .description('show each component and its health; exits 1 if any is not healthy')
    .argument('[components...]', 'only these components (default: all)')
    .option('--json', 'print the status as JSON')
    .action(async (components: string[], options: { json?: boolean }) => {
      const statuses = await new LocalStack().status(components);
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
    .action(async (name: string, options: { lines: string; follow?: boolean }) => {
      const [component] = new LocalStack().select([name]);
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
