// `outflow dlq list|retry|skip <projection>`: inspect and resolve keys parked behind a
// poison message (semantics in projectors/runtime/dlqResolver.ts and docs/projector-runtime.md).
import readline from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import pg from 'pg';
import type pino from 'pino';
import { positiveInteger } from '../lib/cliArguments.ts';
import { config } from '../lib/config.ts';
import { ConfirmationRequired } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { formatTable } from '../lib/table.ts';
import type { DlqResolver, ResolveOutcome } from './runtime/dlqResolver.ts';
import type { ParkedKey } from './runtime/parkedKeysTable.ts';

interface DlqOptions {
  generation?: number;
  json?: boolean;
}

/** The generation asked for, else the registry's live one (1 when the registry has none). */
async function generationOf(projection: string, given: number | undefined): Promise<number> {
  if (given !== undefined) return given;
  const { ensureGenerationRegistry, liveGenerations } = await import('./generations/generationRegistry.ts');
  const { host, port, database, user, password } = config().readModel.postgres;
  const pool = new pg.Pool({ host, port, database, user, password, max: 1 });
  try {
    await ensureGenerationRegistry(pool);
    return (await liveGenerations(pool, [projection])).get(projection) ?? 1;
  } finally {
    await pool.end();
  }
}

async function openResolver(projection: string, generation: number, log: pino.Logger): Promise<DlqResolver> {
  const { allProjections } = await import('../read-models/registry.ts');
  const { selectProjections } = await import('./runtime/projectorWorker.ts');
  const { DlqResolver } = await import('./runtime/dlqResolver.ts');
  const [definition] = selectProjections(allProjections, [projection]);
  return DlqResolver.open(config(), definition!, generation, log);
}

async function assertKnownProjection(projection: string): Promise<void> {
  const { allProjections } = await import('../read-models/registry.ts');
  const { selectProjections } = await import('./runtime/projectorWorker.ts');
  selectProjections(allProjections, [projection]);
}

/** Only the read-model Postgres: listing works while Kafka or the registry is down. */
async function listParked(projection: string, generation: number): Promise<ParkedKey[]> {
  await assertKnownProjection(projection);
  const { ensureParkedKeysTable, listParkedKeys } = await import('./runtime/parkedKeysTable.ts');
  const { host, port, database, user, password } = config().readModel.postgres;
  const pool = new pg.Pool({ host, port, database, user, password, max: 1 });
  try {
    await ensureParkedKeysTable(pool);
    return await listParkedKeys(pool, projection, generation);
  } finally {
    await pool.end();
  }
}

async function withResolver<T>(projection: string, generation: number, work: (resolver: DlqResolver) => Promise<T>): Promise<T> {
  // Progress goes to stderr so stdout stays the command's result (e.g. JSON).
  const log = createLogger('dlq', config().logLevel === 'info' ? 'warn' : config().logLevel);
  const resolver = await openResolver(projection, generation, log);
  try {
    return await work(resolver);
  } finally {
    await resolver.close();
  }
}

function describeOutcome(outcome: ResolveOutcome): string {
  switch (outcome.status) {
    case 'not-parked':
      return `${outcome.key}: not parked`;
    case 'unparked':
      return `${outcome.key}: unparked (${outcome.applied} applied, ${outcome.skipped} dropped)`;
    case 'still-parked':
      return `${outcome.key}: still parked at DLQ offset ${outcome.dlqOffset} (${outcome.applied} applied, ${outcome.skipped} dropped): ${outcome.reason}`;
  }
}

function report(outcomes: ResolveOutcome[], json: boolean | undefined): void {
  console.log(json ? JSON.stringify(outcomes, null, 2) : outcomes.map(describeOutcome).join('\n') || 'no parked keys');
  if (outcomes.some((outcome) => outcome.status !== 'unparked')) process.exitCode = 1;
}

async function confirmSkip(projection: string, key: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const what = `dropping the poison message of key ${key} in ${projection}`;
  if (!process.stdin.isTTY) throw new ConfirmationRequired(what, `re-run with --yes: outflow dlq skip ${projection} --key ${key} --yes`);
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Drop the first parked message of ${key} for good and apply the rest? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ConfirmationRequired(what, 'answer y, or pass --yes');
  } finally {
    prompt.close();
  }
}

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('keys parked behind poison messages in dlq.<projection>');

  dlq
    .command('list')
    .description('parked keys of a projection with their reason and number of parked messages')
    .argument('<projection>')
    .option('--generation <n>', 'projection generation (default: the live one)', positiveInteger)
    .option('--json', 'print JSON')
    .action(async (projection: string, options: DlqOptions) => {
      const generation = await generationOf(projection, options.generation);
      const parked = await listParked(projection, generation);
      if (options.json) return console.log(JSON.stringify(parked, null, 2));
      if (!parked.length) return console.log(`no parked keys in ${projection} (generation ${generation})`);
      const rows = parked.map((p) => [p.key, String(p.parkedMessages), `${p.topic}[${p.partition}]@${p.firstOffset}`, p.parkedAt.toISOString(), p.reason]);
      console.log(formatTable(['key', 'messages', 'first parked', 'parked at', 'reason'], rows));
    });

  dlq
    .command('retry')
    .description("re-apply each parked key's messages in order (decoded again); unpark the key when all apply")
    .argument('<projection>')
    .option('--key <key>', 'only this key (default: every parked key)')
    .option('--generation <n>', 'projection generation (default: the live one)', positiveInteger)
    .option('--json', 'print JSON')
    .action(async (projection: string, options: DlqOptions & { key?: string }) => {
      await assertKnownProjection(projection);
      const outcomes = await withResolver(projection, await generationOf(projection, options.generation), async (resolver) => {
        const keys = options.key ? [options.key] : (await resolver.list()).map((p) => p.key);
        const results: ResolveOutcome[] = [];
        for (const key of keys) results.push(await resolver.resolve(key));
        return results;
      });
      report(outcomes, options.json);
    });

  dlq
    .command('skip')
    .description("drop a parked key's first (poison) message, apply the rest in order, unpark it")
    .argument('<projection>')
    .requiredOption('--key <key>', 'the parked key')
    .option('--yes', 'do not ask for confirmation')
    .option('--generation <n>', 'projection generation (default: the live one)', positiveInteger)
    .option('--json', 'print JSON')
    .action(async (projection: string, options: DlqOptions & { key: string; yes?: boolean }) => {
      await assertKnownProjection(projection);
      await confirmSkip(projection, options.key, options.yes);
      const outcome = await withResolver(projection, await generationOf(projection, options.generation), (resolver) => resolver.resolve(options.key, { skipFirst: true }));
      report([outcome], options.json);
    });
}
