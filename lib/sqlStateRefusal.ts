// Postgres refusing what a request carried: SQLSTATE class 22 (data exception: a value it
// cannot store, such as NUL in text or a year 0) and class 23 (integrity violation: a CHECK,
// foreign or unique key). The request is at fault, not the server, so the answer is a 4xx; but
// the edge or a domain rule should have refused it first, so the caller logs each one.
import { DataRefused, IntegrityRefused, type OutflowError } from './errors.ts';
import { postgresFailureKind, sqlStateOf } from './postgresFailure.ts';

export function sqlStateRefusal(error: unknown): OutflowError | undefined {
  const sqlState = sqlStateOf(error);
  if (sqlState === undefined) return undefined;
  const kind = postgresFailureKind(error);
  if (kind === 'dataException') return new DataRefused(sqlState, { cause: error });
  const { constraint } = error as { constraint?: string };
  if (kind === 'integrityViolation' || kind === 'uniqueViolation') return new IntegrityRefused(sqlState, constraint, { cause: error });
  return undefined;
}
