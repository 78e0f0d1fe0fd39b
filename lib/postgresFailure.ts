// The one reading of Postgres SQLSTATEs: one table of what each state the project cares about
// means, and the questions callers ask of it. Callers need different answers from the same
// table: a command retries its whole transaction at once after losing a race, but must not
// hammer a database that is down; an API turns an outage into 503 and a refused value into a
// 4xx; a projector worker waits out anything that is not the event's fault instead of parking
// the event; a read of a table nobody has created yet reads as empty.
import pg from 'pg';

export type PostgresFailureKind =
  /** The transaction lost a race and rolled back whole: running it again can succeed at once. */
  | 'transactionConflict'
  /** The connection or the server is gone or not accepting connections. */
  | 'connectionLost'
  /** An operator or the server's own limits ended the session (a dropped database, an idle session timeout). */
  | 'sessionEnded'
  /** The server is short of memory, disk or connection slots. */
  | 'insufficientResources'
  /** Outside Postgres itself: an I/O error, a missing or duplicate file. */
  | 'systemError'
  /** lock_timeout passed, or NOWAIT found the lock taken. */
  | 'lockNotAvailable'
  /** statement_timeout passed, or the statement was cancelled. */
  | 'statementTimeout'
  /** A unique or primary key already holds the value (the error names the constraint). */
  | 'uniqueViolation'
  /** Any other integrity constraint refused the row: a CHECK, a foreign key, NOT NULL. */
  | 'integrityViolation'
  /** A value Postgres cannot store or convert: NUL in text, a year 0, a number out of range. */
  | 'dataException'
  /** The statement names a table that does not exist (yet). */
  | 'undefinedTable';

// First match wins: exact states before their class. The kinds from unique violation on are the
// statement's own failures, which no retry fixes; so is anything not listed (a bug).
const sqlStates: readonly (readonly [state: string, kind: PostgresFailureKind])[] = [
  ['40001', 'transactionConflict'], // serialization_failure
  ['40P01', 'transactionConflict'], // deadlock_detected
  ['08', 'connectionLost'], // connection exception
  ['57P01', 'connectionLost'], // admin_shutdown
  ['57P02', 'connectionLost'], // crash_shutdown
  ['57P03', 'connectionLost'], // cannot_connect_now
  ['57014', 'statementTimeout'], // query_canceled
  ['57P', 'sessionEnded'], // database_dropped, idle_session_timeout and later operator states
  ['53', 'insufficientResources'],
  ['58', 'systemError'],
  ['55P03', 'lockNotAvailable'],
  ['23505', 'uniqueViolation'],
  ['23', 'integrityViolation'],
  ['22', 'dataException'],
  ['42P01', 'undefinedTable'],
];

/** The SQLSTATE of an error Postgres sent (five characters beside a severity), else undefined. */
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return undefined;
  if (!(error instanceof pg.DatabaseError) && !('severity' in error)) return undefined;
  return /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined;
}

/** What a Postgres error's SQLSTATE means, by the table above; undefined for states it does not list and for anything else. */
export function postgresFailureKind(error: unknown): PostgresFailureKind | undefined {
  const sqlState = sqlStateOf(error);
  return sqlState === undefined ? undefined : sqlStates.find(([state]) => sqlState.startsWith(state))?.[1];
}

/** Retry this transaction now: it lost a race (serialization failure, deadlock) and nothing of it remains. */
export function isTransactionConflict(error: unknown): boolean {
  return postgresFailureKind(error) === 'transactionConflict';
}

/** The database is down or unreachable: back off, do not retry at once. */
export function isPostgresConnectionLost(error: unknown): boolean {
  return postgresFailureKind(error) === 'connectionLost';
}

/** The database did not answer within a timeout the caller configured (statement_timeout, lock_timeout). */
export function isPostgresServerTimeout(error: unknown): boolean {
  const kind = postgresFailureKind(error);
  return kind === 'statementTimeout' || kind === 'lockNotAvailable';
}

/** The constraint a unique violation names; undefined for any other error. */
export function uniqueViolationConstraint(error: unknown): string | undefined {
  if (postgresFailureKind(error) !== 'uniqueViolation') return undefined;
  const { constraint } = error as { constraint?: unknown };
  return typeof constraint === 'string' ? constraint : undefined;
}

/** The statement read or wrote a table that does not exist yet (nothing has created it). */
export function isUndefinedTable(error: unknown): boolean {
  return postgresFailureKind(error) === 'undefinedTable';
}

// A statement that ran into a timeout is left out: a worker's statement that never finishes in
// time would be retried forever; it is better parked and looked at.
const transientKinds: ReadonlySet<PostgresFailureKind> = new Set([
  'transactionConflict', 'connectionLost', 'sessionEnded', 'insufficientResources', 'systemError', 'lockNotAvailable',
]);

/** Not the statement's fault: the same work can succeed later without anyone changing it. */
export function isTransientPostgresFailure(error: unknown): boolean {
  const kind = postgresFailureKind(error);
  return kind !== undefined && transientKinds.has(kind);
}
