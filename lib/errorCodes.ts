// The one table of outflow's error codes. The error classes (lib/errors.ts) take their HTTP
// status and retriable flag from it, the APIs' OpenAPI documents list its codes
// (lib/errorResponseSchema.ts), and docs/errors.md is generated from it (lib/errorCatalogDoc.ts),
// so a code cannot be raised, answered or documented without being here.

/** A retriable flag the raising class decides per instance, from what went wrong underneath. */
export const RETRIABLE_BY_CAUSE = 'by cause';

export interface ErrorCodeRow {
  /**
   * The status an HTTP API answers with; a list when the framework picks one of them; null
   * when the error is not an API answer (a 500 if one ever reaches an API).
   */
  readonly httpStatus: number | readonly number[] | null;
  /** Whether the same work can succeed later without anyone changing anything. */
  readonly retriable: boolean | typeof RETRIABLE_BY_CAUSE;
  /** What the code means for whoever meets it: caller, operator or log reader. */
  readonly meaning: string;
}

export const errorCodes = {
  OUTFLOW_ERR_CONFIG: {
    httpStatus: null,
    retriable: false,
    meaning: 'An environment variable holds a value the configuration cannot use.',
  },
  OUTFLOW_ERR_PREREQUISITE: {
    httpStatus: null,
    retriable: false,
    meaning: 'A program the local stack needs is not installed.',
  },
  OUTFLOW_ERR_STACK: {
    httpStatus: null,
    retriable: false,
    meaning: 'A local stack component failed to fetch, start, stop or become healthy.',
  },
  OUTFLOW_ERR_DEADLINE: {
    httpStatus: null,
    retriable: true,
    meaning: 'A deadline passed while waiting for a condition.',
  },
  OUTFLOW_ERR_MIGRATION: {
    httpStatus: null,
    retriable: false,
    meaning: 'A SQL migration failed; it was rolled back and later ones were not applied.',
  },
  OUTFLOW_ERR_VALIDATION: {
    httpStatus: 400,
    retriable: false,
    meaning: 'The request is malformed; the response names each bad field.',
  },
  OUTFLOW_ERR_UNAUTHENTICATED: {
    httpStatus: 401,
    retriable: false,
    meaning: 'No API key, or an unknown one.',
  },
  OUTFLOW_ERR_FORBIDDEN: {
    httpStatus: 403,
    retriable: false,
    meaning: "The API key's role may not do this, or the order belongs to another customer.",
  },
  OUTFLOW_ERR_AUTH_RATE_LIMITED: {
    httpStatus: 429,
    retriable: true,
    meaning: 'Too many requests with unknown API keys from one client address; retry after the Retry-After header.',
  },
  OUTFLOW_ERR_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'The addressed aggregate does not exist.',
  },
  OUTFLOW_ERR_CONCURRENCY: {
    httpStatus: 409,
    retriable: false,
    meaning: "If-Match named a version that is not the aggregate's current one.",
  },
  // Raised by the framework, not by a class: its own status tells which of these it is.
  OUTFLOW_ERR_BAD_REQUEST: {
    httpStatus: [400, 413, 415],
    retriable: false,
    meaning: 'The request could not be read: malformed JSON, wrong content type or too large.',
  },
  OUTFLOW_ERR_INTERNAL: {
    httpStatus: 500,
    retriable: false,
    meaning: 'An unexpected failure; the server log has the details under the request id.',
  },
  OUTFLOW_ERR_UNAVAILABLE: {
    httpStatus: 503,
    retriable: true,
    meaning: 'A store or database the API needs is down or did not answer in time; details.dependency names it, and the answer carries Retry-After.',
  },
  OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED: {
    httpStatus: null,
    retriable: false,
    meaning: 'outflow outbox prune would risk deleting events not yet in Kafka (connector stopped or lagging), or got a bad age.',
  },
  OUTFLOW_ERR_ALREADY_EXISTS: {
    httpStatus: 409,
    retriable: false,
    meaning: 'An aggregate with this id exists already, e.g. a product SKU.',
  },
  OUTFLOW_ERR_INVARIANT: {
    httpStatus: 422,
    retriable: false,
    meaning: 'A business rule refused the command, e.g. not enough stock.',
  },
  OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'An Idempotency-Key was reused with a different request.',
  },
  OUTFLOW_ERR_DATA_REFUSED: {
    httpStatus: 400,
    retriable: false,
    meaning: 'The database refused a value of the request (SQLSTATE class 22); a validation is missing, and the server logs it.',
  },
  OUTFLOW_ERR_INTEGRITY: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The database refused the change as breaking a constraint (SQLSTATE class 23) no rule caught first; the server logs it.',
  },
  OUTFLOW_ERR_SCHEMA_FILE: {
    httpStatus: null,
    retriable: false,
    meaning: 'A local .avsc file cannot be read or parsed as an Avro record schema.',
  },
  OUTFLOW_ERR_SCHEMA_NOT_REGISTERED: {
    httpStatus: null,
    retriable: false,
    meaning: 'The registry lacks the exact local schema of an event; run `outflow schemas register`.',
  },
  OUTFLOW_ERR_SCHEMA_INCOMPATIBLE: {
    httpStatus: null,
    retriable: false,
    meaning: 'A local schema breaks the compatibility rule; the message names the subject and fields.',
  },
  OUTFLOW_ERR_REGISTRY_UNAVAILABLE: {
    httpStatus: null,
    retriable: true,
    meaning: 'The schema registry could not be reached or failed on its side.',
  },
  OUTFLOW_ERR_REGISTRY_REJECTED: {
    httpStatus: null,
    retriable: false,
    meaning: 'The schema registry refused a request, e.g. an invalid schema.',
  },
  OUTFLOW_ERR_EVENT_INVALID: {
    httpStatus: null,
    retriable: false,
    meaning: 'An event does not match its Avro schema; the message names each bad field.',
  },
  // Decode failures: the same bytes fail the same way on every attempt, so a consumer parks
  // the message (poison) instead of retrying it.
  OUTFLOW_ERR_NOT_WIRE_FORMAT: {
    httpStatus: null,
    retriable: false,
    meaning: 'A message is not Confluent wire format (too short or magic byte not 0); poison.',
  },
  OUTFLOW_ERR_UNKNOWN_SCHEMA_ID: {
    httpStatus: null,
    retriable: false,
    meaning: 'A message names a schema id the registry does not have; poison.',
  },
  OUTFLOW_ERR_UNKNOWN_EVENT_SCHEMA: {
    httpStatus: null,
    retriable: false,
    meaning: "A message's writer schema is not an event type of the catalog; poison.",
  },
  OUTFLOW_ERR_EVENT_UNDECODABLE: {
    httpStatus: null,
    retriable: false,
    meaning: "A message's body cannot be decoded into the local event schema; poison.",
  },
  OUTFLOW_ERR_CONNECTOR_TEMPLATE: {
    httpStatus: null,
    retriable: false,
    meaning: 'The connector template is malformed or names a placeholder the configuration does not provide.',
  },
  OUTFLOW_ERR_SOURCE_DECLARATION: {
    httpStatus: null,
    retriable: false,
    meaning: 'A source declaration (connectors/sources/<source>.json) is malformed or conflicts with another; each problem names the file and the field.',
  },
  OUTFLOW_ERR_UNKNOWN_SOURCE: {
    httpStatus: null,
    retriable: false,
    meaning: 'A connectors command names no declared source (an unknown name, or neither a name nor --all); the message lists the declared sources.',
  },
  OUTFLOW_ERR_CONNECT: {
    httpStatus: null,
    retriable: RETRIABLE_BY_CAUSE,
    meaning: "Kafka Connect refused a request or could not be reached; the message carries Connect's error text. Retriable when it could not be reached, or answered that it is busy or unavailable.",
  },
  OUTFLOW_ERR_CONNECTOR_INVALID: {
    httpStatus: null,
    retriable: false,
    meaning: "Kafka Connect's validation rejected the connector config; each bad key is named, nothing was changed.",
  },
  OUTFLOW_ERR_CONNECTOR_NOT_RUNNING: {
    httpStatus: null,
    retriable: false,
    meaning: "The connector or a task is not RUNNING; a failed task's stack trace is included.",
  },
  OUTFLOW_ERR_SLOT_AT_RISK: {
    httpStatus: null,
    retriable: false,
    meaning: 'The replication slot retains more WAL than max_slot_wal_keep_size allows (unreserved) or was invalidated (lost).',
  },
  OUTFLOW_ERR_CONNECTOR_PLUGIN_MISSING: {
    httpStatus: null,
    retriable: false,
    meaning: 'Kafka Connect lacks a connector plugin (it loads plugin.path only at start); the message says how to restart it.',
  },
  OUTFLOW_ERR_REFERENCE_MISMATCH: {
    httpStatus: null,
    retriable: false,
    meaning: "A benchmark reference (e.g. Debezium's JDBC sink) finished but its output does not match its input; no figure is reported.",
  },
  OUTFLOW_ERR_STALE_READ: {
    httpStatus: 409,
    retriable: true,
    meaning: 'The read model has not reached the X-Min-Version asked for within the wait; details.currentVersion is what it has.',
  },
  OUTFLOW_ERR_PROJECTION_HANDLER: {
    httpStatus: null,
    retriable: false,
    meaning: "A projection's handler threw or returned an operation its store cannot apply for one event; poison: parked by key.",
  },
  OUTFLOW_ERR_CHECKPOINT_MISMATCH: {
    httpStatus: null,
    retriable: false,
    meaning: "A store's checkpoint is not the offset the projector last applied (the store lost its last writes, or another worker moved it); nothing was written and the worker continues from the store's checkpoint.",
  },
  OUTFLOW_ERR_REDIS_NOT_REPLICATED: {
    httpStatus: null,
    retriable: true,
    meaning: "Fewer of a Redis Cluster primary's replicas than OUTFLOW_REDIS_WAIT_REPLICAS acknowledged a batch's writes in OUTFLOW_REDIS_WAIT_TIMEOUT_MS; the partition's checkpoint was not moved, and the batch is applied again (harmlessly) until they do.",
  },
  OUTFLOW_ERR_ES_BULK: {
    httpStatus: null,
    retriable: RETRIABLE_BY_CAUSE,
    meaning: 'Elasticsearch refused documents of a bulk write; retriable for version conflicts that outlasted the re-read loop and for 429/5xx, not for mapping errors.',
  },
  OUTFLOW_ERR_EVENT_HEADERS: {
    httpStatus: null,
    retriable: false,
    meaning: 'A message lacks the eventId, eventType or aggregateVersion header, or a header contradicts the decoded event; poison.',
  },
  OUTFLOW_ERR_UNKNOWN_PROJECTION: {
    httpStatus: null,
    retriable: false,
    meaning: 'A projection name that no read model has; the message lists the known ones.',
  },
  OUTFLOW_ERR_NOT_CAUGHT_UP: {
    httpStatus: null,
    retriable: true,
    meaning: '`outflow verify` timed out waiting for the connector or a projection to catch up; the message says which partitions were behind and what to check.',
  },
  OUTFLOW_ERR_READ_MODELS_DIFFER: {
    httpStatus: null,
    retriable: false,
    meaning: '`outflow verify` found read models that differ from the write model; each difference is printed.',
  },
  OUTFLOW_ERR_UNHEALTHY: {
    httpStatus: null,
    retriable: false,
    meaning: '`outflow status` found problems (a part unreachable, the connector or a task not RUNNING, the slot at risk, a projection without workers, behind --max-lag or with parked keys); each is listed.',
  },
  OUTFLOW_ERR_CONFIRMATION_REQUIRED: {
    httpStatus: null,
    retriable: false,
    meaning: 'A destructive command (e.g. `outflow dlq skip`) was not confirmed; pass --yes or answer on a terminal.',
  },
  OUTFLOW_ERR_REBUILD_REFUSED: {
    httpStatus: null,
    retriable: true,
    meaning: 'A rebuild was refused: another rebuild of the projection is running, or the cap on concurrent rebuilds is reached; the running ones are named.',
  },
  OUTFLOW_ERR_GENERATION_REFUSED: {
    httpStatus: null,
    retriable: false,
    meaning: 'A projection generation cannot be switched to or dropped: unknown, live, dropped, or not caught up yet.',
  },
  OUTFLOW_ERR_BENCH_STACK_NOT_UP: {
    httpStatus: null,
    retriable: false,
    meaning: '`outflow bench` found part of the stack or the services not running or not healthy; start them with `npm start`.',
  },
  OUTFLOW_ERR_BENCH_SCENARIO_FAILED: {
    httpStatus: null,
    retriable: false,
    meaning: 'A benchmark scenario failed (each failure is named); the results of the others and latest.md were still written.',
  },
  OUTFLOW_ERR_CAPACITY_INPUT_MISSING: {
    httpStatus: null,
    retriable: false,
    meaning: '`outflow bench capacity` lacks a figure it sizes from: the scenario and the measurement it needs are named; run that scenario of `npm run bench` into the results directory.',
  },
} as const satisfies Record<`OUTFLOW_ERR_${string}`, ErrorCodeRow>;

export type ErrorCode = keyof typeof errorCodes;

/** The codes whose retriable flag each error decides for itself. */
export type RetriableByCauseCode = {
  [C in ErrorCode]: (typeof errorCodes)[C]['retriable'] extends typeof RETRIABLE_BY_CAUSE ? C : never;
}[ErrorCode];

/** The codes the framework answers with, picking one of their statuses: no error is raised with them. */
export type FrameworkAnsweredCode = {
  [C in ErrorCode]: (typeof errorCodes)[C]['httpStatus'] extends readonly number[] ? C : never;
}[ErrorCode];

/** Every code of the table, in its order. */
export const ERROR_CODES = Object.keys(errorCodes) as ErrorCode[];

/** The HTTP statuses a code can be answered with; none when it is not an API answer. */
export function httpStatusesOf(code: ErrorCode): readonly number[] {
  const { httpStatus } = errorCodes[code] as ErrorCodeRow;
  if (httpStatus === null) return [];
  return typeof httpStatus === 'number' ? [httpStatus] : httpStatus;
}
