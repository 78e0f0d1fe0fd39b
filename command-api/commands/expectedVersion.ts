// Optimistic concurrency for every command that names the version it read (If-Match).
import { ConcurrencyConflict } from '../../lib/errors.ts';

/** Refuses with 409 when the caller expected another version than the aggregate's current one. */
export function assertVersion(aggregate: string, id: string, expected: number | undefined, current: number): void {
  if (expected !== undefined && expected !== current) throw new ConcurrencyConflict(aggregate, id, expected, current);
}
