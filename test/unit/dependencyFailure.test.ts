// Which failures say "the dependency is down or did not answer in time" (503), told apart from
// failures of the request or of our code (which keep their own answer), and the bounded
// read-your-own-writes wait when a store hangs.
import t from 'tap';
import { attributeFailure, connectionFailureOf, fromDependency, unavailabilityOf } from '../../lib/dependencyFailure.ts';
import { DependencyUnavailable, NotFound, OutflowError } from '../../lib/errors.ts';
import { readAtLeastVersion } from '../../query-api/http/minVersionWait.ts';

const withProps = (error: Error, props: Record<string, unknown>) => Object.assign(error, props);
const named = (name: string, message = 'x') => withProps(new Error(message), { name });
const pgError = (code: string) => withProps(new Error(`sqlstate ${code}`), { code, severity: 'ERROR' });

t.test('unreachable: refused, reset, dropped, shut down', async (t) => {
  const unreachable: [string, Error][] = [
    ['a refused connection', withProps(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a reset connection', withProps(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['pg losing the server', new Error('Connection terminated unexpectedly')],
    ['a pg client after a connection error', new Error('Client has encountered a connection error and is not queryable')],
    ['a Postgres connection exception (class 08)', pgError('08006')],
    ['a Postgres admin shutdown', pgError('57P01')],
    ['a Postgres crash shutdown', pgError('57P02')],
    ['a Postgres that cannot take connections now', pgError('57P03')],
    ['ioredis giving up while reconnecting', named('MaxRetriesPerRequestError')],
    ['a closed ioredis connection', new Error('Connection is closed.')],
    ['ioredis offline without its queue', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a Redis Cluster failing over longer than the redirections', new Error('Too many Cluster redirections. Last error: Error: Connection is closed.')],
    ['no Redis Cluster node reachable', new Error('None of startup nodes is available')],
    ['a Redis Cluster without its slot map', named('ClusterAllFailedError', 'Failed to refresh slots cache.')],
    ['a Redis Cluster down', named('ReplyError', 'CLUSTERDOWN The cluster is down')],
    ['a Redis Cluster slot moving during a failover', named('ReplyError', 'MOVED 15331 127.0.0.1:26383')],
    ['Elasticsearch unreachable', named('ConnectionError')],
    ['Elasticsearch with no node left', named('NoLivingConnectionsError')],
    ['Redis loading its dataset after a restart', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['Elasticsearch without its shards (503)', withProps(named('ResponseError'), { statusCode: 503 })],
    ['Elasticsearch overloaded (429)', withProps(named('ResponseError'), { statusCode: 429 })],
  ];
  for (const [what, error] of unreachable) t.equal(unavailabilityOf(error), 'unreachable', what);
});

t.test('timeout: a client timer or a server timeout the API configured', async (t) => {
  const late: [string, Error][] = [
    ['pg-pool waiting for a connection', new Error('timeout exceeded when trying to connect')],
    ['pg connecting', new Error('Connection terminated due to connection timeout')],
    ['pg query_timeout', new Error('Query read timeout')],
    ['Postgres statement_timeout', pgError('57014')],
    ['Postgres lock_timeout', pgError('55P03')],
    ['ioredis commandTimeout', new Error('Command timed out')],
    ['Elasticsearch requestTimeout', named('TimeoutError')],
    ['a socket timeout', withProps(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
  ];
  for (const [what, error] of late) t.equal(unavailabilityOf(error), 'timeout', what);
});

t.test('not an outage: the request, the data or our code', async (t) => {
  const others: [string, unknown][] = [
    ['a unique violation', pgError('23505')],
    ['a data exception', pgError('22P02')],
    ['a deadlock (the executor retries it itself)', pgError('40P01')],
    ['Postgres out of disk (class 53 is not an outage of the connection)', pgError('53100')],
    ['a five-character code without a severity', withProps(new Error('x'), { code: '08006' })],
    ['an Elasticsearch 400', withProps(named('ResponseError'), { statusCode: 400 })],
    ['an Elasticsearch 500 (a bug of the query, not an outage)', withProps(named('ResponseError'), { statusCode: 500 })],
    ['a Redis reply error of the command', named('ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['permission denied on a socket', withProps(new Error('x'), { code: 'EACCES' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['our own 404', new NotFound('order', 'o-1')],
    ['our own error keeps its own meaning, whatever its cause', new OutflowError('OUTFLOW_ERR_STACK', 'x', { cause: withProps(new Error('x'), { code: 'ECONNREFUSED' }) })],
    ['a thrown string', 'ECONNREFUSED'],
  ];
  for (const [what, error] of others) t.equal(unavailabilityOf(error), undefined, what);
});

t.test('a wrapped outage is found through its causes', async (t) => {
  const wrapped = new Error('reading the pointer failed', { cause: new Error('again', { cause: withProps(new Error('reset'), { code: 'ECONNRESET' }) }) });
  t.equal(unavailabilityOf(wrapped), 'unreachable');
  t.equal(connectionFailureOf(wrapped), undefined, 'connectionFailureOf reads the error itself only');
  t.equal(unavailabilityOf(new DependencyUnavailable('redis', 'timeout')), 'timeout', 'our own 503 keeps its kind');
});

t.test('attributeFailure names the dependency and keeps the driver error as the cause only', async (t) => {
  const driver = withProps(new Error('connect ECONNREFUSED 10.0.0.7:5432 user outflow'), { code: 'ECONNREFUSED' });
  const attributed = attributeFailure('writePostgres', driver);
  t.ok(attributed instanceof DependencyUnavailable);
  const error = attributed as DependencyUnavailable;
  t.equal(error.httpStatus, 503);
  t.equal(error.code, 'OUTFLOW_ERR_UNAVAILABLE');
  t.ok(error.retriable);
  t.same(error.details, { dependency: 'writePostgres', unavailability: 'unreachable' });
  t.notMatch(error.message, /ECONNREFUSED|10\.0\.0\.7|outflow/, 'the message has none of the driver text');
  t.equal(error.cause, driver);
  const already = new DependencyUnavailable('redis', 'timeout');
  t.equal(attributeFailure('elasticsearch', already), already, 'an attributed failure keeps the dependency it names');
  const bug = new TypeError('bad');
  t.equal(attributeFailure('redis', bug), bug, 'anything else passes through unchanged');
  await t.rejects(fromDependency('redis', async () => { throw new Error('Command timed out'); }), { code: 'OUTFLOW_ERR_UNAVAILABLE', details: { dependency: 'redis', unavailability: 'timeout' } });
  t.equal(await fromDependency('redis', async () => 7), 7);
});

t.test('the X-Min-Version wait ends in time even when a read never answers', async (t) => {
  const hanging = () => new Promise<{ version: number } | undefined>(() => {});
  await t.rejects(readAtLeastVersion(hanging, 1, { timeoutMs: 30, dependency: 'redis', readGraceMs: 20 }), { code: 'OUTFLOW_ERR_UNAVAILABLE', details: { dependency: 'redis', unavailability: 'timeout' } });

  let reads = 0;
  const catchingUp = async () => ({ version: ++reads });
  t.same(await readAtLeastVersion(catchingUp, 3, { timeoutMs: 5_000, intervalMs: 1, dependency: 'redis', readGraceMs: 1_000 }), { value: { version: 3 }, reached: true });
  const stuck = async () => ({ version: 1 });
  t.same(await readAtLeastVersion(stuck, 2, { timeoutMs: 20, intervalMs: 1, dependency: 'redis', readGraceMs: 1_000 }), { value: { version: 1 }, reached: false }, 'a store that answers but lags is a stale read, not an outage');
});
