// `outflow migrate`, `outflow command-api` and `outflow commands prune`: the write side's
// operator commands (`outflow outbox prune` is the connectors', which know what was streamed).
import { Option, type Command } from 'commander';
import { config } from '../lib/config.ts';
import { migrateWriteSchema } from '../lib/writeSchema/writeSchemaMigration.ts';
import { migratePaymentsSchema } from '../payments/paymentsDatabase.ts';
import { runCommandApi } from './main.ts';
import { DEFAULT_RETENTION, parseRetention, pruneProcessedCommands } from './processedCommandsPruner.ts';

export function registerCommandApiCommands(program: Command): void {
  program
    .command('migrate')
    .description("apply the write schema's and the payments service's migrations (safe to run any number of times)")
    .option('--json', 'print the result as JSON: {write, payments}')
    .action(async (options: { json?: boolean }) => {
      const write = await migrateWriteSchema(config());
      const payments = await migratePaymentsSchema(config());
      if (options.json) console.log(JSON.stringify({ write, payments }));
      for (const [schema, result] of [['write', write], ['payments', payments]] as const) {
        if (options.json) continue;
        if (result.applied.length) console.log(`${schema}: applied ${result.applied.join(', ')}`);
        else console.log(`${schema} schema up to date (${result.alreadyApplied.length} migrations)`);
      }
    });

  program
    .command('command-api')
    .description(`serve the command API (default http://127.0.0.1:13000; OUTFLOW_COMMAND_API_PORT)`)
    .action(async () => {
      await runCommandApi(config());
    });

  program
    .command('commands')
    .description('the idempotency records of processed commands (write.processed_commands)')
    .command('prune')
    .description(`delete idempotency records older than a given age (default ${DEFAULT_RETENTION}): a retry after that runs as a new command`)
    .addOption(
      new Option('--older-than <age>', 'minimum age of the records to delete: 7d, 12h, 90m (at least 1h)')
        .argParser(parseRetention)
        .default(parseRetention(DEFAULT_RETENTION), DEFAULT_RETENTION),
    )
    .option('--dry-run', 'count the records without deleting them')
    .option('--json', 'print the result as JSON')
    .action(async (options: { olderThan: number; dryRun?: boolean; json?: boolean }) => {
      const result = await pruneProcessedCommands(config(), { olderThanMs: options.olderThan, dryRun: options.dryRun ?? false });
      if (options.json) console.log(JSON.stringify(result));
      else console.log(`${result.dryRun ? 'would delete' : 'deleted'} ${result.rows} idempotency records older than ${result.cutoff.toISOString()}`);
    });
}
