// `outflow query-api`: serve reads from the read models.
import type { Command } from 'commander';
import { config } from '../lib/config.ts';

export function registerQueryApiCommands(program: Command): void {
  program
    .command('query-api')
    .description('serve the query API (default http://127.0.0.1:13001; OUTFLOW_QUERY_API_PORT)')
    .action(async () => {
      // Loaded on use: every other subcommand starts without the read models' modules and clients.
      const { runQueryApi } = await import('./main.ts');
      await runQueryApi(config());
    });
}
