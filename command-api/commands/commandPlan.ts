// What a command is to the executor: the reads its decision needs (sent in the first round trip,
// after BEGIN), the decision itself (pure: no I/O), and the state rows the decision writes (CTEs
// of the one write statement). Splitting I/O from deciding is what lets a command take two round
// trips: everything read at once, everything written at once.
import type pg from 'pg';
import type { OutflowError } from '../../lib/errors.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import type { Read } from '../persistence/read.ts';
import type { WriteStatement } from '../persistence/writeStatement.ts';

export interface Decision {
  status: 200 | 201;
  aggregateId: string;
  version: number;
  location?: string;
  events: PendingEvent[];
  /** Adds the state rows' steps to the write statement. */
  write(statement: WriteStatement): void;
}

export interface CommandPlan {
  /** The first round trip's statements, in order (locks are taken in this order). None: nothing to read. */
  queries: readonly pg.QueryConfig[];
  decide(results: readonly pg.QueryResult[], now: Date): Decision;
  /** A refusal the write statement's failure stands for (a duplicate key as 409), if any. */
  rejection?(error: unknown): OutflowError | undefined;
}

type ReadValues<R extends readonly Read<unknown>[]> = { [K in keyof R]: R[K] extends Read<infer T> ? T : never };

export function commandPlan<const R extends readonly Read<unknown>[]>(
  reads: R,
  decide: (read: ReadValues<R>, now: Date) => Decision,
  rejection?: CommandPlan['rejection'],
): CommandPlan {
  return {
    queries: reads.flatMap((read) => read.queries),
    decide(results, now) {
      let offset = 0;
      const values = reads.map((read) => {
        const own = results.slice(offset, offset + read.queries.length);
        offset += read.queries.length;
        return read.parse(own);
      });
      return decide(values as ReadValues<R>, now);
    },
    ...(rejection ? { rejection } : {}),
  };
}
