// One classification of failures for the retry loop, and the backoff it waits with.
import t from 'tap';
import { DeadlineExceeded, EventUndecodable, ProjectionHandlerFailed } from '../../lib/errors.ts';
import { dlqReasonLabel } from '../../projectors/runtime/projectorMetrics.ts';
import { describeFailure, isRetriable } from '../../projectors/runtime/retriableFailure.ts';
import { retryDelayMs } from '../../projectors/runtime/retryBackoff.ts';

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
