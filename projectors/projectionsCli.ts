// `outflow projections list|status|rebuild|switch|drop`: the generations of each read model
// and rebuilding one without downtime (projectors/generations/, docs/rebuilds.md).
import readline from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { positiveInteger } from '../lib/cliArguments.ts';
import { config, type Config } from '../lib/config.ts';
import { ConfirmationRequired } from '../lib/errors.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';
import { formatTable } from '../lib/table.ts';
import type { ProjectionDefinition, StoreConnections } from './projection.ts';
import type { ProjectionStatus } from './generations/projectionStatus.ts';

function switchMode(raw: string): 'auto' | 'manual' {
  if (raw !== 'auto' && raw !== 'manual') throw new InvalidArgumentError('expected auto or manual');
  return raw;
}

async function definitionOf(name: string): Promise<ProjectionDefinition> {
  const { allProjections } = await import('../read-models/registry.ts');
  const { selectProjections } = await import('./runtime/projectorWorker.ts');
  return selectProjections(allProjections, [name])[0]!;
}

/** Store connections and the registry table, for the commands that only read or switch. */
async function withRegistry<T>(work: (context: StoreConnections) => Promise<T>): Promise<T> {
  const { openStoreConnections } = await import('./runtime/storeConnections.ts');
  const { ensureGenerationRegistry } = await import('./generations/generationRegistry.ts');
  // The stores' own info lines ("pointer moved") would repeat what the command prints.
  const base = config();
  const stores = openStoreConnections({ ...base, logLevel: base.logLevel === 'info' ? 'warn' : base.logLevel });
  try {
    await ensureGenerationRegistry(stores.connections.readPostgres);
    return await work(stores.connections);
  } finally {
    await stores.close();
  }
}

async function withAdmin<T>(cfg: Config, work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafkaClient(cfg, 'projections').admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '');

function statusLine(status: ProjectionStatus): string {
  if (status.rebuildRequired.length) return `rebuild required: ${status.rebuildRequired.join('; ')}`;
  return status.live === null ? 'no live generation yet' : 'live generation matches the running code';
}

function statusText(status: ProjectionStatus, graceMs: number): string {
  const lines = [
    `${status.projection}: live generation ${status.live ?? '-'} (code version ${status.liveCodeVersion ?? '-'}; running code: version ${status.codeVersion}), ${status.state}`,
    statusLine(status),
  ];
  if (status.pointer !== status.live) lines.push(`warning: the readers' pointer names generation ${status.pointer ?? '(none)'}; run \`outflow projections switch ${status.projection} --to ${status.live ?? '<gen>'}\``);
  if (status.lag !== null) lines.push(`lag: ${status.lag} message(s)`);
  lines.push('');
  const rows = status.generations.map((g) => [
    `g${g.generation}`,
    g.state,
    g.origin,
    String(g.codeVersion),
    when(g.createdAt),
    when(g.caughtUpAt),
    when(g.liveSince),
    g.state === 'retired' && g.retiredAt ? `${when(g.retiredAt)} (dropped after ${when(new Date(g.retiredAt.getTime() + graceMs))})` : when(g.retiredAt ?? g.droppedAt),
  ]);
  lines.push(formatTable(['generation', 'state', 'origin', 'version', 'created', 'caught up', 'live since', 'retired / dropped'], rows));
  return lines.join('\n');
}

async function confirmDrop(projection: string, generation: number, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const what = `dropping generation ${generation} of ${projection}`;
  if (!process.stdin.isTTY) throw new ConfirmationRequired(what, `re-run with --yes: outflow projections drop ${projection} ${generation} --yes`);
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Delete generation ${generation} of ${projection} (data, checkpoints, parked keys) for good? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ConfirmationRequired(what, 'answer y, or pass --yes');
  } finally {
    prompt.close();
  }
}

interface RebuildCliOptions {
  parallel: number;
  switch: 'auto' | 'manual';
  fromScratch?: boolean;
  concurrency: number;
  json?: boolean;
}

export function registerProjectionsCommands(program: Command): void {
  const projections = program.command('projections').description('read-model generations: list, status, rebuild without downtime, switch, drop');

  projections
    .command('list')
    .description('every projection: live generation, its code version, state, lag, and whether a rebuild is required')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { allProjections } = await import('../read-models/registry.ts');
      const { projectionStatus } = await import('./generations/projectionStatus.ts');
      const statuses = await withRegistry((context) => withAdmin(config(), async (admin) => Promise.all(allProjections.map((d) => projectionStatus(context, d, admin)))));
      if (options.json) return console.log(JSON.stringify(statuses, null, 2));
      const rows = statuses.map((s) => [
        s.projection,
        s.live === null ? '-' : `g${s.live}`,
        s.liveCodeVersion === null ? '-' : String(s.liveCodeVersion),
        s.building === null ? s.state : `${s.state} (g${s.building})`,
        s.lag === null ? '-' : String(s.lag),
        s.rebuildRequired.length ? `rebuild required: ${s.rebuildRequired.join('; ')}` : '',
      ]);
      console.log(formatTable(['projection', 'live', 'version', 'state', 'lag', 'note'], rows));
    });

  projections
    .command('status')
    .description("a projection's generations, pointer, lag, and why a rebuild is required (if it is)")
    .argument('<projection>')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const definition = await definitionOf(name);
      const { projectionStatus } = await import('./generations/projectionStatus.ts');
      const status = await withRegistry((context) => withAdmin(config(), (admin) => projectionStatus(context, definition, admin)));
      console.log(options.json ? JSON.stringify(status, null, 2) : statusText(status, config().rebuild.retiredGraceMs));
    });

  projections
    .command('rebuild')
    .description('build a new generation from offset 0 beside the live one, catch up, then switch readers and workers to it')
    .argument('<projection>')
    .option('--parallel <n>', 'consumers replaying the partitions at once (same result as 1)', positiveInteger, 1)
    .option('--switch <mode>', 'auto: switch once caught up; manual: keep it caught up until `outflow projections switch`', switchMode, 'auto')
    .option('--from-scratch', 'discard a half-built generation of an interrupted rebuild instead of resuming it')
    .option('--concurrency <n>', 'partitions each consumer processes at once', positiveInteger, 3)
    .option('--json', 'print progress as JSON lines on stdout instead of a progress bar')
    .action(async (name: string, options: RebuildCliOptions) => {
      const definition = await definitionOf(name);
      const { rebuildProjection } = await import('./generations/projectionRebuild.ts');
      const { barProgressOutput, jsonProgressOutput } = await import('./generations/rebuildProgressOutput.ts');
      const base = config();
      // The runtime's own info lines would interleave with the bar; warnings and errors still show.
      const quiet: Config = { ...base, logLevel: base.logLevel === 'info' ? 'warn' : base.logLevel };
      const log = pino({ name: 'rebuild', level: quiet.logLevel }, pino.destination(2));
      // Consumers joining and leaving the group log rebalances at warn level: expected here. Parked keys are summed up at the end.
      const workerLog = base.logLevel === 'info' ? log.child({}, { level: 'error' }) : log;
      const output = options.json ? jsonProgressOutput() : barProgressOutput();
      const abort = new AbortController();
      let interrupts = 0;
      const interrupt = () => {
        // A second Ctrl-C does not wait for the consumers: the checkpoints make resuming exact anyway.
        if (++interrupts > 1) process.exit(130);
        abort.abort();
      };
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', interrupt);
      try {
        const result = await rebuildProjection({
          config: quiet,
          definition,
          parallel: options.parallel,
          switchMode: options.switch,
          fromScratch: options.fromScratch,
          concurrency: options.concurrency,
          onProgress: (progress) => output.update(progress),
          signal: abort.signal,
          log,
          workerLog,
        });
        output.stop();
        if (options.json) console.log(JSON.stringify({ result }));
        else if (result.interrupted) console.error(`${name}: rebuild of generation ${result.generation} interrupted; run it again to resume`);
        else console.error(`${name}: generation ${result.generation} is live (was ${result.previous}); ${result.replayed} events replayed at ${Math.round(result.eventsPerSecond)} events/s`);
        if (!options.json && result.parkedKeys > 0) console.error(`${result.parkedKeys} key(s) parked in generation ${result.generation}: outflow dlq list ${name} --generation ${result.generation}`);
        if (result.interrupted) process.exitCode = 130;
      } finally {
        output.stop();
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
    });

  projections
    .command('switch')
    .description('make a generation live: the caught-up one a manual rebuild built, or a retired one (roll back)')
    .argument('<projection>')
    .option('--to <generation>', 'the generation (default: the building one)', positiveInteger)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { to?: number; json?: boolean }) => {
      const definition = await definitionOf(name);
      const { switchGeneration } = await import('./generations/generationSwitch.ts');
      const outcome = await withRegistry((context) => switchGeneration(context, definition, options.to));
      if (options.json) return console.log(JSON.stringify(outcome));
      console.log(outcome.switched ? `${name}: generation ${outcome.to} is live (was ${outcome.from ?? 'none'}); workers follow within a second` : `${name}: generation ${outcome.to} is live already`);
    });

  projections
    .command('drop')
    .description("delete a generation's data, checkpoints, parked keys and consumer group (never the live one)")
    .argument('<projection>')
    .argument('<generation>', 'generation number', positiveInteger)
    .option('--yes', 'do not ask for confirmation')
    .action(async (name: string, generation: number, options: { yes?: boolean }) => {
      const definition = await definitionOf(name);
      await confirmDrop(name, generation, options.yes);
      const { dropGeneration } = await import('./generations/generationSwitch.ts');
      await withRegistry((context) => withAdmin(config(), (admin) => dropGeneration(context, definition, generation, admin)));
      console.log(`${name}: generation ${generation} dropped`);
    });
}
