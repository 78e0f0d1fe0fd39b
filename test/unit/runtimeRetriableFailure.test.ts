// One classification of failures for the retry loop, and the backoff it waits with.
import t from 'tap';
import { DeadlineExceeded, EventUndecodable, ProjectionHandlerFailed } from '../../lib/errors.ts';
import { dlqReasonLabel } from '../../projectors/runtime/projectorMetrics.ts';
import { describeFailure, isRetriable } from '../../projectors/runtime/retriableFailure.ts';
import { retryDelayMs, waitUnlessAborted } from '../../projectors/runtime/retryBackoff.ts';

const withProps = (error: Error, props: Record<string, unknown>) => Object.assign(error, props);
const named = (name: string, message = 'x') => withProps(new Error(message), { name });

t.test('transient failures of every client are retriable', async (t) => {
  const transient: [string, unknown][] = [
    ['an OutflowError that says so', new DeadlineExceeded('x', 1)],
    ['a refused connection', withProps(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a kafkajs error', named('KafkaJSNumberOfRetriesExceeded')],
    ['ioredis giving up on a command', named('MaxRetriesPerRequestError')],
    ['ioredis while the server loads', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['a closed ioredis connection', new Error('Connection is closed.')],
    ['pg losing the server', new Error('Connection terminated unexpectedly')],
    ['a Postgres admin shutdown', withProps(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' })],
    ['a Postgres serialization failure', withProps(new Error('could not serialize'), { code: '40001', severity: 'ERROR' })],
    ['Elasticsearch unreachable', named('ConnectionError')],
    ['Elasticsearch overloaded', withProps(named('ResponseError'), { statusCode: 429 })],
    ['a connection failure wrapped as a cause', new Error('write failed', { cause: withProps(new Error('reset'), { code: 'ECONNRESET' }) })],
  ];
  for (const [what, error] of transient) t.ok(isRetriable(error), what);
});

t.test('failures of the event or the code are not', async (t) => {
  const permanent: [string, unknown][] = [
    ['a handler failure', new ProjectionHandlerFailed('p', { topic: 't', partition: 0, offset: '1', key: 'k', eventType: 'OrderPlaced' }, new Error('boom'))],
    ['an undecodable event', new EventUndecodable(1, 'OrderPlaced', 'truncated')],
    ['a Postgres constraint violation', withProps(new Error('duplicate key'), { code: '23505', severity: 'ERROR' })],
    ['an Elasticsearch mapping error', withProps(named('ResponseError'), { statusCode: 400 })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a thrown string', 'nope'],
  ];
  for (const [what, error] of permanent) t.notOk(isRetriable(error), what);
});

t.test('describeFailure leads with the code', async (t) => {
  t.match(describeFailure(new EventUndecodable(9, 'OrderPlaced', 'truncated')), /^OUTFLOW_ERR_EVENT_UNDECODABLE: /);
  t.equal(describeFailure(new TypeError('bad')), 'TypeError: bad');
  t.equal(dlqReasonLabel('OUTFLOW_ERR_NOT_WIRE_FORMAT: magic byte'), 'OUTFLOW_ERR_NOT_WIRE_FORMAT');
  t.equal(dlqReasonLabel('parked behind 41'), 'parked_behind');
});

t.test('backoff doubles from 100 ms and stays under the 5 s cap (±20 % jitter)', async (t) => {
  for (const [attempt, base] of [[1, 100], [2, 200], [5, 1600], [7, 5000], [40, 5000]] as const) {
    const delay = retryDelayMs(attempt);
    t.ok(delay >= base * 0.8 && delay <= base * 1.2, `attempt ${attempt}: ${delay} ms around ${base}`);
  }
});

t.test('every dropped-connection code of the Node.js socket layer is retriable', async (t) => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
    t.ok(isRetriable(withProps(new Error(`socket: ${code}`), { code })), code);
  }
  t.notOk(isRetriable(withProps(new Error('permission denied'), { code: 'EACCES' })), 'EACCES is not a dropped connection');
});

t.test('Postgres: connection, resource, system, operator and concurrency states are retriable, nothing else', async (t) => {
  const pgError = (code: string) => withProps(new Error(`sqlstate ${code}`), { code, severity: 'ERROR' });
  for (const code of ['08006', '08001', '53300', '53100', '57P01', '57P03', '57P05', '40001', '40P01', '55P03', '58030']) t.ok(isRetriable(pgError(code)), code);
  for (const code of ['57014', '23505', '22P02', '42P01', '40002', '55000', '80008', '35300']) t.notOk(isRetriable(pgError(code)), code);
});

t.test('only a five-character string code beside a severity is read as a SQLSTATE', async (t) => {
  t.notOk(isRetriable(withProps(new Error('x'), { code: '08006' })), 'no severity: not from Postgres');
  t.notOk(isRetriable(withProps(new Error('x'), { severity: 'ERROR' })), 'a severity without a code');
  t.notOk(isRetriable(withProps(new Error('x'), { code: 40001, severity: 'ERROR' })), 'a numeric code');
  t.notOk(isRetriable(withProps(new Error('x'), { code: 'X08006', severity: 'ERROR' })), 'six characters, ending like a SQLSTATE');
  t.notOk(isRetriable(withProps(new Error('x'), { code: '080060', severity: 'ERROR' })), 'six characters, starting like a SQLSTATE');
});

t.test('Elasticsearch: every transport failure, and a response of 429 or 5xx', async (t) => {
  for (const name of ['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']) t.ok(isRetriable(named(name)), name);
  const response = (statusCode: unknown) => withProps(named('ResponseError'), { statusCode });
  t.ok(isRetriable(response(500)), '500');
  t.ok(isRetriable(response(503)), '503');
  t.notOk(isRetriable(response(499)), '499');
  t.notOk(isRetriable(response(404)), '404');
  t.notOk(isRetriable(response('503')), 'a status that is not a number');
  t.notOk(isRetriable(named('ResponseError')), 'no status at all');
  t.notOk(isRetriable(withProps(named('HTTPError'), { statusCode: 503 })), 'a 503 from anything but Elasticsearch is not judged by its status');
});

t.test('Redis: the reply errors of a server that is busy or failing over, and lost connections', async (t) => {
  for (const word of ['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'MASTERDOWN']) t.ok(isRetriable(named('ReplyError', `${word} try later`)), word);
  t.notOk(isRetriable(named('ReplyError', 'ERR unknown command')), 'a refused command');
  t.notOk(isRetriable(named('ReplyError', 'LOADINGS is not a word')), 'a whole word only');
  t.notOk(isRetriable(named('ReplyError', 'ERR value LOADING is not an integer')), 'only the reply that starts with it');
  t.ok(isRetriable(new Error("Stream isn't writeable and enableOfflineQueue options is false")), 'offline queue off');
  t.ok(isRetriable(new Error('timeout exceeded when trying to connect')), 'pg pool timeout');
});

t.test('a lost connection is recognised by how the client words it, at the start of the message only', async (t) => {
  for (const message of ['order 7: Connection is closed.', 'handler said Connection terminated', "cache: Stream isn't writeable"]) {
    t.notOk(isRetriable(new Error(message)), message);
  }
});

t.test('causes are followed up to five levels, and an OutflowError decides for its own chain', async (t) => {
  const wrapped = (levels: number) => {
    let error: Error = withProps(new Error('reset'), { code: 'ECONNRESET' });
    for (let i = 1; i < levels; i++) error = new Error(`level ${i}`, { cause: error });
    return error;
  };
  t.ok(isRetriable(wrapped(5)), 'the fifth error of the chain');
  t.notOk(isRetriable(wrapped(6)), 'the sixth is not looked at');
  const selfCaused = new Error('loop');
  selfCaused.cause = selfCaused;
  t.notOk(isRetriable(selfCaused), 'a cycle ends');
  const where = { topic: 't', partition: 0, offset: '1', key: 'k', eventType: 'OrderPlaced' };
  t.notOk(isRetriable(new ProjectionHandlerFailed('p', where, withProps(new Error('reset'), { code: 'ECONNRESET' }))), 'a non-retriable OutflowError wins over its cause');
});

t.test('describeFailure of something that is not an Error', async (t) => {
  t.equal(describeFailure('nope'), 'nope');
  t.equal(describeFailure(42), '42');
  t.equal(describeFailure(new DeadlineExceeded('the registry', 5)), 'OUTFLOW_ERR_DEADLINE: timed out after 5 ms waiting for the registry');
});

t.test('DLQ reason labels: the error code or class, else parked_behind or other', async (t) => {
  t.equal(dlqReasonLabel('TypeError: bad'), 'TypeError');
  t.equal(dlqReasonLabel('SyntaxError: Unexpected token'), 'SyntaxError');
  t.equal(dlqReasonLabel('parked behind 41; itself poison: OUTFLOW_ERR_NOT_WIRE_FORMAT: x'), 'parked_behind');
  t.equal(dlqReasonLabel('poison'), 'other');
  t.equal(dlqReasonLabel('handler threw TypeError'), 'other', 'only a leading code or class names the reason');
  t.equal(dlqReasonLabel(': Error'), 'other');
});

t.test('backoff jitter spans exactly 80 % to 120 % of the base, and the doubling stops after 30 steps', async (t) => {
  const random = Math.random;
  t.teardown(() => {
    Math.random = random;
  });
  Math.random = () => 0;
  t.equal(retryDelayMs(1), 80);
  t.equal(retryDelayMs(3, { initialMs: 10, maxMs: 1_000 }), 32);
  Math.random = () => 0.5;
  t.equal(retryDelayMs(2), 200);
  t.equal(retryDelayMs(100, { initialMs: 1, maxMs: Number.MAX_SAFE_INTEGER }), 2 ** 30, 'attempt 100 waits as long as attempt 31');
  Math.random = () => 0.999;
  t.equal(retryDelayMs(6, { initialMs: 100, maxMs: 2_000 }), 2_399, 'capped at maxMs before the jitter');
});

t.test('a backoff wait ends when the consumer stops, and never throws', async (t) => {
  const stopping = new AbortController();
  const waiting = waitUnlessAborted(600_000, stopping.signal);
  const first = await Promise.race([waiting.then(() => 'waited'), new Promise((resolve) => setImmediate(() => resolve('loop turned')))]);
  t.equal(first, 'loop turned', 'the wait is a wait');
  stopping.abort();
  await waiting;
  await waitUnlessAborted(600_000, stopping.signal);
  t.pass('an abort, before or during the wait, ends it at once');
});
