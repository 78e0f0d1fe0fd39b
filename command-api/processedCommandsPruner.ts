// Idempotency records (write.processed_commands) are only useful while a client may still retry
// the request they answer; after that they are dead weight in the table every keyed command
// reads. They are pruned by age, in batches, so a large backlog never holds one long delete.
import { InvalidArgumentError } from 'commander';
import { ageMs } from '../lib/cliArguments.ts';
import type { Config } from '../lib/config.ts';
import { withWriteDatabase } from '../lib/writeDatabase.ts';

/** The documented default: a client retrying a request a week later gets a new command. */
export const DEFAULT_RETENTION = '7d';
/** Younger records may still answer a retry in flight: never pruned. */
const MIN_AGE_MS = 60 * 60 * 1000;
const BATCH_ROWS = 10_000;

/** "7d", "12h", "90m" → milliseconds, at least 1 h; for the CLI's --older-than. */
export function parseRetention(text: string): number {
  const ms = ageMs(text);
  if (ms === undefined) throw new InvalidArgumentError(`${JSON.stringify(text)} is not a duration like 7d, 12h or 90m`);
  if (ms < MIN_AGE_MS) throw new InvalidArgumentError('records younger than 1h may still answer a retry and are never pruned');
  return ms;
}

export interface PruneResult {
  rows: number;
  cutoff: Date;
  dryRun: boolean;
}

export async function pruneProcessedCommands(config: Config, { olderThanMs, dryRun }: { olderThanMs: number; dryRun: boolean }): Promise<PruneResult> {
  return withWriteDatabase(config, async (client) => {
    // The database's clock, the one created_at was written with.
    const { rows: now } = await client.query<{ cutoff: Date }>("SELECT now() - $1 * interval '1 millisecond' AS cutoff", [olderThanMs]);
    const cutoff = now[0]?.cutoff as Date;
    if (dryRun) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM write.processed_commands WHERE created_at < $1', [cutoff]);
      return { rows: rows[0]?.n ?? 0, cutoff, dryRun };
    }
    let deleted = 0;
    for (;;) {
      const { rowCount } = await client.query(
        `DELETE FROM write.processed_commands WHERE ctid IN
           (SELECT ctid FROM write.processed_commands WHERE created_at < $1 LIMIT ${BATCH_ROWS})`,
        [cutoff],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH_ROWS) return { rows: deleted, cutoff, dryRun };
    }
  });
}
