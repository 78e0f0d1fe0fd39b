// The one place that recognises "the dependency, not the request": a store or database that
// cannot be reached, dropped the connection, or did not answer within its timeout. The
// projector runtime reads the connection-level part to decide what to retry; the HTTP APIs
// turn every such failure into DependencyUnavailable (503 with Retry-After). Client libraries
// are recognised by their error names and codes, and by the fixed messages of errors they
// raise without either; never by the text of our own errors.
import { DependencyUnavailable, OutflowError, type Unavailability } from './errors.ts';
import { isPostgresConnectionLost, isPostgresServerTimeout, sqlStateOf } from './postgresFailure.ts';

const unreachableSystemCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
]);

const errorNames: ReadonlyMap<string, Unavailability> = new Map([
  ['MaxRetriesPerRequestError', 'unreachable'], // ioredis gave up on a command while reconnecting
  ['ClusterAllFailedError', 'unreachable'], // ioredis: no node of a cluster answered for its slot map
  ['ConnectionError', 'unreachable'], // @elastic/transport
  ['NoLivingConnectionsError', 'unreachable'], // @elastic/transport
  ['TimeoutError', 'timeout'], // @elastic/transport: requestTimeout passed
]);

// pg, pg-pool and ioredis raise these as plain Errors, without a code.
const messages: readonly [RegExp, Unavailability][] = [
  [/^Connection terminated due to connection timeout/, 'timeout'], // pg: connectionTimeoutMillis
  [/^timeout exceeded when trying to connect/, 'timeout'], // pg-pool: connectionTimeoutMillis
  [/^Query read timeout/, 'timeout'], // pg: query_timeout
  [/^Command timed out/, 'timeout'], // ioredis: commandTimeout
  [/^Connection terminated/, 'unreachable'], // pg
  [/^Client has encountered a connection error and is not queryable/, 'unreachable'], // pg
  [/^Connection is closed/, 'unreachable'], // ioredis
  [/^Stream isn't writeable/, 'unreachable'], // ioredis without its offline queue
  // ioredis on a cluster: MOVED, TRYAGAIN or CLUSTERDOWN for longer than its redirections last
  // (a failover in progress), or no node reachable.
  [/^Too many Cluster redirections/, 'unreachable'],
  [/^None of startup nodes is available/, 'unreachable'],
  [/^Cluster isn't ready/, 'unreachable'],
];

// A server that is up but cannot serve yet or right now: Redis loading its dataset after a
// restart or failing over, Elasticsearch overloaded, starting, stopping or without its shards.
// MOVED and ASK reach the caller only when ioredis's cluster client could not follow them (a
// pipeline sent while a failover moves slots, or redirected to the node that just died): the
// slot map is changing, and the same command succeeds once ioredis has refreshed it.
const redisNotServing = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|READONLY|MASTERDOWN|MOVED|ASK)\b/;
const elasticsearchNotServing = new Set([429, 502, 503, 504]);

function notServingOf(error: Error): Unavailability | undefined {
  if (error.name === 'ReplyError' && redisNotServing.test(error.message)) return 'unreachable';
  const status = 'statusCode' in error ? error.statusCode : undefined;
  if (error.name === 'ResponseError' && typeof status === 'number' && elasticsearchNotServing.has(status)) return 'unreachable';
  return undefined;
}

/**
 * Whether this error itself (not its causes) says the connection failed: refused, reset,
 * dropped, or not answered in time by the client's own timer; or that the server is up but not
 * serving (Redis LOADING and its kin, Elasticsearch 429/502/503/504). Postgres' connection exception
 * class (08) and its shutdown states (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
 * connect now) count; statement-level states do not.
 */
export function connectionFailureOf(error: Error): Unavailability | undefined {
  const byName = errorNames.get(error.name) ?? notServingOf(error);
  if (byName) return byName;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code && unreachableSystemCodes.has(code)) return 'unreachable';
  if (sqlStateOf(error)) return isPostgresConnectionLost(error) ? 'unreachable' : undefined;
  return messages.find(([pattern]) => pattern.test(error.message))?.[1];
}

/**
 * Postgres ended a statement because a timeout the API configured passed: statement_timeout
 * (57014) or lock_timeout (55P03). For an API that is the database not answering in time.
 */
function serverTimeoutOf(error: Error): Unavailability | undefined {
  return isPostgresServerTimeout(error) ? 'timeout' : undefined;
}

/** How a failure (or one of its causes) says a dependency is unavailable; undefined when it does not. */
export function unavailabilityOf(error: unknown): Unavailability | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    // Our own errors already say what they are; only DependencyUnavailable is an outage.
    if (current instanceof DependencyUnavailable) return current.details.unavailability as Unavailability;
    if (current instanceof OutflowError) return undefined;
    const verdict = connectionFailureOf(current) ?? serverTimeoutOf(current);
    if (verdict) return verdict;
    current = current.cause;
  }
  return undefined;
}

/** The failure as DependencyUnavailable naming `dependency` when it is an outage; otherwise unchanged. */
export function attributeFailure(dependency: string, error: unknown): unknown {
  if (error instanceof DependencyUnavailable) return error;
  const unavailability = unavailabilityOf(error);
  return unavailability ? new DependencyUnavailable(dependency, unavailability, { cause: error }) : error;
}

/** Runs work against one dependency; an outage comes out as DependencyUnavailable naming it. */
export async function fromDependency<T>(dependency: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw attributeFailure(dependency, error);
  }
}
