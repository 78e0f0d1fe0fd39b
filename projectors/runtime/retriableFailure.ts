// The one place that decides whether a failure is transient (retry the same chunk, forever)
// or not (the event is suspect: retry it alone, then park its key). OutflowError says so
// itself; the client libraries' connection-level failures are recognised here by their
// names and codes, never by matching message text of our own errors.
import { OutflowError } from '../../lib/errors.ts';

const retriableSystemCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
]);

// Postgres SQLSTATEs that say "the server or the connection, not your statement".
function isRetriableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code === '40001' || code === '40P01' || code === '55P03';
}

// ioredis and pg signal a dropped connection with plain Errors of these messages.
const connectionLostMessages = [/^Connection is closed/, /^Connection terminated/, /timeout exceeded when trying to connect/, /^Stream isn't writeable/];

const retriableErrorNames = new Set([
  'MaxRetriesPerRequestError', // ioredis gave up on one command while reconnecting
  'ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', // @elastic/transport
]);

function ownRetriable(error: unknown): boolean | undefined {
  if (error instanceof OutflowError) return error.retriable;
  if (!(error instanceof Error)) return undefined;
  // Every kafkajs failure is about the broker, not the event: even "retries exceeded" is
  // worth retrying later from the runtime's point of view.
  if (error.name.startsWith('KafkaJS')) return true;
  if (retriableErrorNames.has(error.name)) return true;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code && retriableSystemCodes.has(code)) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code) && 'severity' in error) return isRetriableSqlState(code);
  if (error.name === 'ResponseError' && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode === 429 || error.statusCode >= 500;
  }
  if (error.name === 'ReplyError') return /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|READONLY|MASTERDOWN)\b/.test(error.message);
  if (connectionLostMessages.some((pattern) => pattern.test(error.message))) return true;
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
