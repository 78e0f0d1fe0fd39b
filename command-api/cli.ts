// `outflow migrate` and `outflow command-api`: the write side's operator commands.
import type { Command } from 'commander';
import { config } from '../lib/config.ts';
import { runCommandApi } from './main.ts';
import { migrateWriteSchema } from './writeSchema.ts';

export function registerCommandApiCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply the write schema migrations (safe to run any number of times)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await migrateWriteSchema(config());
      if (options.json) console.log(JSON.stringify(result));
      else if (result.applied.length) console.log(`applied ${result.applied.join(', ')}`);
      else console.log(`write schema up to date (${result.alreadyApplied.length} migrations)`);
    });

  program
    .command('command-api')
    .description(`serve the command API (default http://127.0.0.1:13000; OUTFLOW_COMMAND_API_PORT)`)
    .action(async () => {
      await runCommandApi(config());
    });
}
