// A read of the command's first round trip: statements sent back to back after BEGIN, and what
// their results mean to the decision. Repositories build them; commands (commandPlan.ts) run them.
import type pg from 'pg';

export interface Read<T> {
  queries: pg.QueryConfig[];
  parse(results: readonly pg.QueryResult[]): T;
}
