// Where the projector runtime decides whether a failure is transient (retry the same chunk, forever)
// or not (the event is suspect: retry it alone, then park its key). OutflowError says so
// itself; the client libraries' connection-level failures are recognised here by their
// names and codes, never by matching message text of our own errors. Which failures are
// the connection's (refused, dropped, timed out) is decided once for every caller, in
// lib/dependencyFailure.ts, and what a Postgres SQLSTATE means in lib/postgresFailure.ts; this
// adds what a worker may also wait out.
import { connectionFailureOf } from '../../lib/dependencyFailure.ts';
import { OutflowError } from '../../lib/errors.ts';
import { isTransientPostgresFailure, sqlStateOf } from '../../lib/postgresFailure.ts';

function ownRetriable(error: unknown): boolean | undefined {
  if (error instanceof OutflowError) return error.retriable;
  if (!(error instanceof Error)) return undefined;
  // Every kafkajs failure is about the broker, not the event: even "retries exceeded" is
  // worth retrying later from the runtime's point of view.
  if (error.name.startsWith('KafkaJS')) return true;
  if (connectionFailureOf(error)) return true;
  if (sqlStateOf(error)) return isTransientPostgresFailure(error);
  if (error.name === 'ResponseError' && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode === 429 || error.statusCode >= 500;
  }
  return undefined;
}

/** True when retrying the same work later can succeed without anyone changing anything. */
export function isRetriable(error: unknown): boolean {
  // An OutflowError's own flag wins; otherwise a wrapped connection failure counts.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    const verdict = ownRetriable(current);
    if (verdict !== undefined) return verdict;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** A short description for logs and DLQ headers: the code when there is one, and the message. */
export function describeFailure(error: unknown): string {
  if (error instanceof OutflowError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// kafkajs's answers from the group coordinator that mean "the group is being rebalanced, rejoin".
const groupChangeTypes = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

/**
 * True for a heartbeat or offset commit that failed because the consumer group is changing.
 * Such an error may surface from the middle of a store retry (the retry heartbeats), but it
 * says nothing about the store or the event: it must reach kafkajs, which rejoins the group,
 * and never count as a store rejection or park anything.
 */
export function isConsumerGroupChange(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.name.startsWith('KafkaJS') && 'type' in current && typeof current.type === 'string' && groupChangeTypes.has(current.type)) return true;
    current = current.cause;
  }
  return false;
}
