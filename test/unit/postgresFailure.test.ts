// The one SQLSTATE table and the questions its callers ask of it: a command retrying its
// transaction, an API reporting an outage, a worker waiting out what is not the event's fault.
import pg from 'pg';
import t from 'tap';
import { DataRefused, IntegrityRefused } from '../../lib/errors.ts';
import {
  isPostgresConnectionLost, isPostgresServerTimeout, isTransactionConflict, isTransientPostgresFailure, isUndefinedTable, postgresFailureKind, sqlStateOf,
  uniqueViolationConstraint,
} from '../../lib/postgresFailure.ts';
import { sqlStateRefusal } from '../../lib/sqlStateRefusal.ts';

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code, severity: 'ERROR' });
const driverError = (code: string) => Object.assign(new pg.DatabaseError(`sqlstate ${code}`, 1, 'error'), { code });

t.test('each listed state has one meaning; exact states win over their class', async (t) => {
  const table: [string, string | undefined][] = [
    ['40001', 'transactionConflict'], ['40P01', 'transactionConflict'], ['40002', undefined], ['40003', undefined],
    ['08000', 'connectionLost'], ['08006', 'connectionLost'], ['08001', 'connectionLost'],
    ['57P01', 'connectionLost'], ['57P02', 'connectionLost'], ['57P03', 'connectionLost'],
    ['57P04', 'sessionEnded'], ['57P05', 'sessionEnded'], ['57014', 'statementTimeout'], ['57000', undefined],
    ['53100', 'insufficientResources'], ['53200', 'insufficientResources'], ['53300', 'insufficientResources'],
    ['58000', 'systemError'], ['58030', 'systemError'],
    ['55P03', 'lockNotAvailable'], ['55000', undefined], ['55006', undefined],
    ['23505', 'uniqueViolation'], ['23503', 'integrityViolation'], ['23514', 'integrityViolation'], ['22P02', 'dataException'], ['22021', 'dataException'],
    ['42P01', 'undefinedTable'], ['42703', undefined], ['XX000', undefined],
  ];
  for (const [code, kind] of table) {
    t.equal(postgresFailureKind(pgError(code)), kind, `${code} (with a severity)`);
    t.equal(postgresFailureKind(driverError(code)), kind, `${code} (a pg.DatabaseError)`);
  }
});

t.test('only a Postgres error carries a SQLSTATE', async (t) => {
  t.equal(sqlStateOf(pgError('40001')), '40001');
  t.equal(sqlStateOf(Object.assign(new Error('x'), { code: '40001' })), undefined, 'no severity, not a pg.DatabaseError');
  t.equal(sqlStateOf(Object.assign(new Error('x'), { code: 'ECONNRESET', severity: 'ERROR' })), undefined, 'not five characters');
  t.equal(sqlStateOf(Object.assign(new Error('x'), { code: 40001, severity: 'ERROR' })), undefined, 'a number');
  t.equal(sqlStateOf({ code: '40001', severity: 'ERROR' }), undefined, 'not an Error');
  t.equal(sqlStateOf(undefined), undefined);
});

t.test('a command retries its transaction at once only after losing a race', async (t) => {
  for (const code of ['40001', '40P01']) t.ok(isTransactionConflict(pgError(code)), code);
  for (const code of ['08006', '57P01', '53300', '55P03', '57014', '40002', '23505']) t.notOk(isTransactionConflict(pgError(code)), code);
});

t.test('an API reports the database down for the connection states, late for the timeouts it set', async (t) => {
  for (const code of ['08006', '08001', '57P01', '57P02', '57P03']) t.ok(isPostgresConnectionLost(pgError(code)), code);
  for (const code of ['53100', '58030', '57P04', '40001', '55P03', '57014']) t.notOk(isPostgresConnectionLost(pgError(code)), code);
  for (const code of ['57014', '55P03']) t.ok(isPostgresServerTimeout(pgError(code)), code);
  for (const code of ['08006', '40001', '55000']) t.notOk(isPostgresServerTimeout(pgError(code)), code);
});

t.test('a worker waits out everything that is not the statement\'s fault, except its own timeout', async (t) => {
  for (const code of ['40001', '40P01', '08006', '57P01', '57P04', '53300', '58030', '55P03']) t.ok(isTransientPostgresFailure(pgError(code)), code);
  for (const code of ['57014', '40002', '55000', '23505', '22P02', '42P01']) t.notOk(isTransientPostgresFailure(pgError(code)), code);
  t.notOk(isTransientPostgresFailure(new Error('Connection terminated unexpectedly')), 'connection failures without a SQLSTATE are lib/dependencyFailure.ts\'s to judge');
});

t.test('a unique violation names its constraint; a table nobody created reads as missing', async (t) => {
  t.equal(uniqueViolationConstraint(Object.assign(driverError('23505'), { constraint: 'products_pkey' })), 'products_pkey');
  t.equal(uniqueViolationConstraint(driverError('23505')), undefined, 'no constraint named');
  t.equal(uniqueViolationConstraint(Object.assign(driverError('23503'), { constraint: 'orders_fk' })), undefined, 'a foreign key is not a taken key');
  t.equal(uniqueViolationConstraint(Object.assign(new Error('x'), { code: '23505', constraint: 'products_pkey' })), undefined, 'not from Postgres');
  t.ok(isUndefinedTable(driverError('42P01')));
  t.notOk(isUndefinedTable(driverError('42703')), 'an undefined column is a bug, not a table yet to be created');
});

t.test('a value or row Postgres refuses is the request\'s fault (4xx), anything else is not a refusal', async (t) => {
  const data = sqlStateRefusal(driverError('22021'));
  t.ok(data instanceof DataRefused, 'class 22');
  const unique = sqlStateRefusal(Object.assign(driverError('23505'), { constraint: 'orders_pkey' }));
  t.ok(unique instanceof IntegrityRefused, 'a unique violation');
  t.ok(sqlStateRefusal(driverError('23514')) instanceof IntegrityRefused, 'a CHECK');
  for (const code of ['40001', '08006', '42P01', '57014']) t.equal(sqlStateRefusal(driverError(code)), undefined, code);
  t.equal(sqlStateRefusal(new TypeError('x')), undefined);
});
