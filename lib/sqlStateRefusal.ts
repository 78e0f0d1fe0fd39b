// Postgres refusing what a request carried: SQLSTATE class 22 (data exception: a value it
// cannot store, such as NUL in text or a year 0) and class 23 (integrity violation: a CHECK,
// foreign or unique key). The request is at fault, not the server, so the answer is a 4xx; but
// the edge or a domain rule should have refused it first, so the caller logs each one.
import pg from 'pg';
import { DataRefused, IntegrityRefused, type OutflowError } from './errors.ts';

export function sqlStateRefusal(error: unknown): OutflowError | undefined {
  if (!(error instanceof pg.DatabaseError) || typeof error.code !== 'string') return undefined;
  if (error.code.startsWith('22')) return new DataRefused(error.code, { cause: error });
  if (error.code.startsWith('23')) return new IntegrityRefused(error.code, error.constraint, { cause: error });
  return undefined;
}
