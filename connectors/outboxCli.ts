// `outflow outbox prune`: deletes outbox rows the connector has streamed (outboxPruner.ts).
import type { Command } from 'commander';
import { config } from '../lib/config.ts';
import { parseAge, pruneOutbox } from './outboxPruner.ts';

export function registerOutboxCommands(program: Command): void {
  program
    .command('outbox')
    .description('the transactional outbox in the write database')
    .command('prune')
    .description('delete outbox rows older than a given age, once the connector has streamed them')
    .option('--older-than <age>', 'minimum age of the rows to delete: 7d, 12h, 90m (at least 1h)', '7d')
    .option('--dry-run', 'count the rows without deleting them')
    .action(async (options: { olderThan: string; dryRun?: boolean }) => {
      const result = await pruneOutbox(config(), { olderThanMs: parseAge(options.olderThan), dryRun: options.dryRun ?? false });
      console.log(`${result.dryRun ? 'would delete' : 'deleted'} ${result.rows} outbox rows older than ${result.cutoff.toISOString()}`);
    });
}
