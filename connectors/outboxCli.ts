// `outflow outbox prune`: deletes outbox rows a source's connector has streamed (outboxPruner.ts).
import type { Command } from 'commander';
import { config } from '../lib/config.ts';
import { parseAge, pruneOutbox } from './outboxPruner.ts';
import { COMMAND_API_SOURCE } from './sourceConnector.ts';

export function registerOutboxCommands(program: Command): void {
  program
    .command('outbox')
    .description("a source's transactional outbox (by default the command API's write.outbox)")
    .command('prune')
    .description('delete outbox rows older than a given age, once the connector has streamed them')
    .option('--older-than <age>', 'minimum age of the rows to delete: 7d, 12h, 90m (at least 1h)', '7d')
    .option('--dry-run', 'count the rows without deleting them')
    .option('--source <source>', 'the declared source whose outbox is pruned (connectors/sources/<source>.json)', COMMAND_API_SOURCE)
    .action(async (options: { olderThan: string; dryRun?: boolean; source: string }) => {
      const result = await pruneOutbox(config(), { olderThanMs: parseAge(options.olderThan), dryRun: options.dryRun ?? false, source: options.source });
      console.log(`${result.dryRun ? 'would delete' : 'deleted'} ${result.rows} ${result.source} outbox rows older than ${result.cutoff.toISOString()}`);
    });
}
