// One error hierarchy for the whole project. Every error has a stable code; its HTTP status
// and `retriable` flag (which retry loops read instead of guessing from messages) come from
// the code's row in lib/errorCodes.ts, which also documents it (docs/errors.md).
import { errorCodes, RETRIABLE_BY_CAUSE, type ErrorCode, type ErrorCodeRow, type FrameworkAnsweredCode, type RetriableByCauseCode } from './errorCodes.ts';

export interface OutflowErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * A code whose row fixes the retriable flag takes it from there; a code whose row leaves it to
 * the cause must be given it by every error raised with it.
 */
export type OutflowErrorArguments = {
  [C in Exclude<ErrorCode, FrameworkAnsweredCode>]: C extends RetriableByCauseCode
    ? [code: C, message: string, options: OutflowErrorOptions & { retriable: boolean }]
    : [code: C, message: string, options?: OutflowErrorOptions];
}[Exclude<ErrorCode, FrameworkAnsweredCode>];

export class OutflowError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number | undefined;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(...[code, message, options = {}]: OutflowErrorArguments) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const row: ErrorCodeRow = errorCodes[code];
    this.name = new.target.name;
    this.code = code;
    // null: not an API answer (a list is the framework's, whose codes no error is raised with).
    this.httpStatus = typeof row.httpStatus === 'number' ? row.httpStatus : undefined;
    this.retriable = row.retriable === RETRIABLE_BY_CAUSE ? ('retriable' in options && options.retriable === true) : row.retriable;
    this.details = options.details ?? {};
  }
}

/** An environment variable holds a value the configuration cannot use. */
export class ConfigError extends OutflowError {
  constructor(variable: string, value: string, expected: string) {
    super('OUTFLOW_ERR_CONFIG', `${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`, {
      details: { variable, value, expected },
    });
  }
}

/** Something the local stack needs is not installed. */
export class PrerequisiteMissing extends OutflowError {
  constructor(what: string, fix: string) {
    super('OUTFLOW_ERR_PREREQUISITE', `${what} is missing. ${fix}`, { details: { what, fix } });
  }
}

/** A local stack component failed to fetch, start, stop or become healthy. */
export class StackComponentError extends OutflowError {
  constructor(component: string, message: string, options: { logTail?: string; cause?: unknown } = {}) {
    super('OUTFLOW_ERR_STACK', `${component}: ${message}`, {
      cause: options.cause,
      details: { component, logTail: options.logTail ?? '' },
    });
  }
}

/** A deadline passed while waiting for a condition. */
export class DeadlineExceeded extends OutflowError {
  constructor(what: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_DEADLINE', `timed out after ${timeoutMs} ms waiting for ${what}`, {
      cause: options.cause,
      details: { what, timeoutMs },
    });
  }
}

/** A SQL migration failed; it was rolled back and the later ones were not applied. */
export class MigrationFailed extends OutflowError {
  constructor(file: string, cause: unknown) {
    super('OUTFLOW_ERR_MIGRATION', `migration ${file} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { file },
    });
  }
}

/** One bad field of a request: where it is and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** The request is malformed: each bad field is named. Nothing was written. */
export class ValidationFailed extends OutflowError {
  readonly fields: FieldError[];
  constructor(fields: FieldError[]) {
    super('OUTFLOW_ERR_VALIDATION', `invalid request: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, {
      details: { fields },
    });
    this.fields = fields;
  }
}

/** No API key, or one that is not known. */
export class Unauthenticated extends OutflowError {
  constructor(message = 'a valid API key is required: send Authorization: Bearer <key>') {
    super('OUTFLOW_ERR_UNAUTHENTICATED', message);
  }
}

/** The caller is known but may not do this (wrong role, another customer's order). */
export class Forbidden extends OutflowError {
  constructor(message: string) {
    super('OUTFLOW_ERR_FORBIDDEN', message);
  }
}

/** Too many requests from one address whose key was not known valid: a key-guessing flood is cut off before it reaches the key table. */
export class AuthenticationRateLimited extends OutflowError {
  constructor(retryAfterSeconds: number) {
    super('OUTFLOW_ERR_AUTH_RATE_LIMITED', `too many requests with unknown API keys from this address; retry in ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
    });
  }
}

export class NotFound extends OutflowError {
  constructor(what: string, id: string) {
    super('OUTFLOW_ERR_NOT_FOUND', `${what} ${id} does not exist`, { details: { what, id } });
  }
}

/** The client's expected version (If-Match) is not the aggregate's current one. */
export class ConcurrencyConflict extends OutflowError {
  constructor(aggregate: string, id: string, expectedVersion: number, currentVersion: number) {
    super('OUTFLOW_ERR_CONCURRENCY', `${aggregate} ${id} is at version ${currentVersion}, not ${expectedVersion}`, {
      details: { aggregate, id, expectedVersion, currentVersion },
    });
  }
}

/** An aggregate with this id exists already (e.g. a product SKU). */
export class AlreadyExists extends OutflowError {
  constructor(what: string, id: string) {
    super('OUTFLOW_ERR_ALREADY_EXISTS', `${what} ${id} already exists`, { details: { what, id } });
  }
}

/** A business rule refused the command (e.g. not enough stock). Nothing was written. */
export class InvariantViolation extends OutflowError {
  readonly rule: string;
  constructor(rule: string, message: string, details: Record<string, unknown> = {}) {
    super('OUTFLOW_ERR_INVARIANT', message, { details: { rule, ...details } });
    this.rule = rule;
  }
}

/**
 * The database refused a value of the request (SQLSTATE class 22, data exception). The request
 * schema or a domain rule should have refused it first: each one is logged as a missing validation.
 */
export class DataRefused extends OutflowError {
  constructor(sqlState: string, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_DATA_REFUSED', `the request holds a value the database cannot store (SQLSTATE ${sqlState})`, {
      cause: options.cause,
      details: { sqlState },
    });
  }
}

/**
 * The database refused the change as breaking a constraint (SQLSTATE class 23, integrity
 * violation) that no domain rule caught first: logged as a missing validation.
 */
export class IntegrityRefused extends OutflowError {
  constructor(sqlState: string, constraint: string | undefined, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_INTEGRITY', `the change breaks a constraint of the write model${constraint ? ` (${constraint})` : ''} (SQLSTATE ${sqlState})`, {
      cause: options.cause,
      details: { sqlState, ...(constraint ? { constraint } : {}) },
    });
  }
}

/** An Idempotency-Key was reused with a different request. */
export class IdempotencyKeyReused extends OutflowError {
  constructor(key: string) {
    super('OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was already used for a different request`, {
      details: { key },
    });
  }
}

/** A local .avsc file cannot be read or parsed as an Avro record schema. */
export class SchemaFileInvalid extends OutflowError {
  constructor(file: string, reason: string, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_SCHEMA_FILE', `${file}: ${reason}`, { cause: options.cause, details: { file } });
  }
}

/** The registry does not hold the exact local schema of an event under its subject. */
export class SchemaNotRegistered extends OutflowError {
  constructor(subjects: readonly string[]) {
    super(
      'OUTFLOW_ERR_SCHEMA_NOT_REGISTERED',
      `the registry does not have the local schema of ${subjects.join(', ')}; run \`outflow schemas register\``,
      { details: { subjects } },
    );
  }
}

/** Local schemas break the compatibility rule against what the registry holds. */
export class SchemaIncompatible extends OutflowError {
  constructor(incompatible: readonly { subject: string; problems: readonly string[] }[]) {
    const described = incompatible.map((s) => `${s.subject}: ${s.problems.join('; ')}`).join(' | ');
    super('OUTFLOW_ERR_SCHEMA_INCOMPATIBLE', `incompatible schema change: ${described}`, {
      details: { incompatible },
    });
  }
}

/** The schema registry could not be reached or failed on its side; try again later. */
export class RegistryUnavailable extends OutflowError {
  constructor(what: string, reason: string, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_REGISTRY_UNAVAILABLE', `schema registry unavailable while ${what}: ${reason}`, {
      cause: options.cause,
      details: { what },
    });
  }
}

/** The schema registry refused a request (an invalid schema, a rule violation). */
export class RegistryRejected extends OutflowError {
  constructor(what: string, status: number, message: string) {
    super('OUTFLOW_ERR_REGISTRY_REJECTED', `schema registry refused ${what} (HTTP ${status}): ${message}`, {
      details: { what, status },
    });
  }
}

/** An event does not match its Avro schema; nothing was encoded. */
export class EventInvalid extends OutflowError {
  readonly fields: string[];
  constructor(eventType: string, fields: string[]) {
    super('OUTFLOW_ERR_EVENT_INVALID', `${eventType} does not match its schema at: ${fields.join(', ')}`, {
      details: { eventType, fields },
    });
    this.fields = fields;
  }
}

// The decode errors below are never retriable: the same bytes fail the same way on every
// attempt, so a consumer must park the message (poison) instead of retrying it.

/** A message is not in the Confluent wire format: too short, or the magic byte is not 0. */
export class NotWireFormat extends OutflowError {
  constructor(reason: string) {
    super('OUTFLOW_ERR_NOT_WIRE_FORMAT', `not a Confluent wire-format message: ${reason}`, { details: { reason } });
  }
}

/** A message names a schema id that the registry does not know. */
export class UnknownSchemaId extends OutflowError {
  constructor(schemaId: number) {
    super('OUTFLOW_ERR_UNKNOWN_SCHEMA_ID', `schema id ${schemaId} is not in the registry`, { details: { schemaId } });
  }
}

/** A message was written with a schema that is not one of the catalog's event types. */
export class UnknownEventSchema extends OutflowError {
  constructor(schemaId: number, name: string) {
    super('OUTFLOW_ERR_UNKNOWN_EVENT_SCHEMA', `schema id ${schemaId} is ${name}, which is not an event type of the catalog`, {
      details: { schemaId, name },
    });
  }
}

/** A message's body cannot be read with its writer schema into the local event schema. */
export class EventUndecodable extends OutflowError {
  constructor(schemaId: number, eventType: string, reason: string, options: { cause?: unknown } = {}) {
    super('OUTFLOW_ERR_EVENT_UNDECODABLE', `cannot decode ${eventType} written with schema id ${schemaId}: ${reason}`, {
      cause: options.cause,
      details: { schemaId, eventType },
    });
  }
}

/** The connector template is malformed or names a placeholder that the configuration does not provide. */
export class ConnectorTemplateError extends OutflowError {
  constructor(file: string, placeholders: readonly string[], reason?: string) {
    const problem = reason ?? `uses unknown placeholder(s) ${placeholders.map((p) => `\${${p}}`).join(', ')}`;
    super('OUTFLOW_ERR_CONNECTOR_TEMPLATE', `${file} ${problem}`, { details: { file, placeholders } });
  }
}

export interface DeclarationProblem {
  file: string;
  field: string;
  message: string;
}

/** One or more source declarations are malformed or conflict; every problem names its file and field. */
export class SourceDeclarationInvalid extends OutflowError {
  readonly problems: DeclarationProblem[];
  constructor(problems: DeclarationProblem[]) {
    super('OUTFLOW_ERR_SOURCE_DECLARATION', `invalid source declaration: ${problems.map((p) => `${p.file}: ${p.field} ${p.message}`).join('; ')}`, { details: { problems } });
    this.problems = problems;
  }
}

/** A connectors command was given a name no source declares, or no name where it needs one. */
export class UnknownSource extends OutflowError {
  constructor(name: string | undefined, known: readonly string[], { allowsAll = false, withAll = false } = {}) {
    const declared = `declared sources: ${known.join(', ') || 'none'} (connectors/sources/<source>.json)`;
    const message =
      name === undefined ? `no source given: name one${allowsAll ? ' or pass --all' : ''}; ${declared}`
      : withAll ? `both a source (${name}) and --all given: give one of them; ${declared}`
      : `no source is named ${JSON.stringify(name)}; ${declared}`;
    super('OUTFLOW_ERR_UNKNOWN_SOURCE', message, { details: { name, known } });
  }
}

/** Kafka Connect refused a request, or could not be reached (then retriable). */
export class ConnectRequestFailed extends OutflowError {
  constructor(request: string, reason: string, options: { status?: number; retriable?: boolean; cause?: unknown } = {}) {
    super('OUTFLOW_ERR_CONNECT', `Kafka Connect ${request} failed${options.status ? ` (HTTP ${options.status})` : ''}: ${reason}`, {
      retriable: options.retriable ?? false,
      cause: options.cause,
      details: { request, status: options.status },
    });
  }
}

/** Kafka Connect's validation rejected the connector config; nothing was created or changed. */
export class ConnectorConfigInvalid extends OutflowError {
  readonly fields: FieldError[];
  constructor(connector: string, fields: FieldError[]) {
    super('OUTFLOW_ERR_CONNECTOR_INVALID', `connector ${connector} config is invalid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, {
      details: { connector, fields },
    });
    this.fields = fields;
  }
}

/** The connector or one of its tasks is not RUNNING; a FAILED task's trace is in the message. */
export class ConnectorNotRunning extends OutflowError {
  constructor(connector: string, state: string, trace?: string) {
    super('OUTFLOW_ERR_CONNECTOR_NOT_RUNNING', `connector ${connector} is not running: ${state}${trace ? `\n${trace}` : ''}`, {
      details: { connector, state, trace },
    });
  }
}

/** The connector's replication slot may lose (unreserved) or has lost (lost) WAL it has not yet streamed. */
export class ReplicationSlotAtRisk extends OutflowError {
  constructor(slotName: string, walStatus: string, fix: string) {
    super('OUTFLOW_ERR_SLOT_AT_RISK', `replication slot ${slotName} is ${walStatus}: ${fix}`, { details: { slotName, walStatus, fix } });
  }
}

/** Kafka Connect has no such connector plugin: it scans plugin.path only when it starts. */
export class ConnectorPluginMissing extends OutflowError {
  constructor(pluginClass: string, connectUrl: string, fix: string) {
    super('OUTFLOW_ERR_CONNECTOR_PLUGIN_MISSING', `Kafka Connect at ${connectUrl} has no ${pluginClass} plugin. ${fix}`, {
      details: { pluginClass, connectUrl, fix },
    });
  }
}

/** A benchmark reference finished, but what it wrote is not what it was given; its figure would be meaningless. */
export class ReferenceOutputMismatch extends OutflowError {
  constructor(reference: string, difference: string) {
    super('OUTFLOW_ERR_REFERENCE_MISMATCH', `benchmark reference ${reference} did not write what it was given: ${difference}`, {
      details: { reference, difference },
    });
  }
}

/** Pruning the outbox would risk deleting events not yet in Kafka, or was asked wrongly. */
export class OutboxPruneRefused extends OutflowError {
  constructor(reason: string) {
    super('OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED', `outbox prune refused: ${reason}`, { details: { reason } });
  }
}

/** A read asked for at least a version the read model has not reached within the wait. */
export class StaleRead extends OutflowError {
  constructor(what: string, id: string, requestedVersion: number, currentVersion: number) {
    super('OUTFLOW_ERR_STALE_READ', `${what} ${id} is at version ${currentVersion} in the read model, not yet ${requestedVersion}`, {
      details: { what, id, requestedVersion, currentVersion },
    });
  }
}

/** How a dependency failed: it could not be reached, or it did not answer within its timeout. */
export type Unavailability = 'unreachable' | 'timeout';

/**
 * A store or database an API needs is down or did not answer in time (HTTP 503, with
 * Retry-After). The message names the dependency, never the driver's own text: that goes to
 * the server log through `cause`.
 */
export class DependencyUnavailable extends OutflowError {
  constructor(dependency: string, unavailability: Unavailability, options: { cause?: unknown } = {}) {
    const what = unavailability === 'timeout' ? 'did not answer in time' : 'cannot be reached';
    super('OUTFLOW_ERR_UNAVAILABLE', `${dependency} ${what}; retry later`, {
      cause: options.cause,
      details: { dependency, unavailability },
    });
  }
}

/**
 * A projection's handler threw, or returned something its store cannot apply, for one event.
 * The same event fails the same way every time: poison, parked by key.
 */
export class ProjectionHandlerFailed extends OutflowError {
  constructor(projection: string, where: { topic: string; partition: number; offset: string; key: string; eventType: string }, cause: unknown) {
    super(
      'OUTFLOW_ERR_PROJECTION_HANDLER',
      `${projection} cannot project ${where.eventType} at ${where.topic}[${where.partition}]@${where.offset} (key ${where.key}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { projection, ...where } },
    );
  }
}

/**
 * A store's checkpoint for a partition is not the offset the worker last applied there: the
 * store lost its last writes (a crash before they were durable), or another worker moved it.
 * Nothing of the batch was written; the worker continues from the store's checkpoint instead.
 */
/** A Redis Cluster primary's replicas did not acknowledge a bucket's writes (Redis WAIT) in time. */
export class RedisWritesNotReplicated extends OutflowError {
  constructor(projection: string, where: { topic: string; partition: number; bucket: number }, acknowledged: number, required: number) {
    super(
      'OUTFLOW_ERR_REDIS_NOT_REPLICATED',
      `${projection}: ${acknowledged} of the ${required} replicas required acknowledged bucket ${where.bucket}'s writes for ${where.topic}[${where.partition}]`,
      { details: { projection, ...where, acknowledged, required } },
    );
  }
}

export class CheckpointMismatch extends OutflowError {
  constructor(projection: string, where: { topic: string; partition: number }, expected: string | null, actual: string | null) {
    super(
      'OUTFLOW_ERR_CHECKPOINT_MISMATCH',
      `${projection} checkpoint of ${where.topic}[${where.partition}] is ${actual ?? 'absent'}, not ${expected ?? 'absent'} as last applied`,
      { details: { projection, ...where, expected, actual } },
    );
  }

  get expected(): string | null {
    return this.details.expected as string | null;
  }

  get actual(): string | null {
    return this.details.actual as string | null;
  }
}

/**
 * Elasticsearch refused some documents of a bulk write. Retriable when only version conflicts
 * outlasted the re-read loop or the cluster was overloaded (429, 5xx); a mapping error is not.
 */
export class ElasticsearchBulkFailed extends OutflowError {
  constructor(index: string, failures: { id: string; status: number; reason: string }[], retriable: boolean) {
    const first = failures[0];
    super('OUTFLOW_ERR_ES_BULK', `${failures.length} document(s) of a bulk write to ${index} failed${first ? `, e.g. ${first.id}: ${first.status} ${first.reason}` : ''}`, {
      retriable,
      details: { index, failures: failures.slice(0, 10) },
    });
  }
}

/** A message lacks a header Debezium sets (eventId, eventType, aggregateVersion) or contradicts its body. Poison. */
export class EventHeadersInvalid extends OutflowError {
  constructor(reason: string) {
    super('OUTFLOW_ERR_EVENT_HEADERS', `event headers invalid: ${reason}`, { details: { reason } });
  }
}

/** A projection name that no read model has (CLI or worker options). */
export class UnknownProjection extends OutflowError {
  constructor(names: readonly string[], known: readonly string[]) {
    super('OUTFLOW_ERR_UNKNOWN_PROJECTION', `unknown projection ${names.join(', ')}; known: ${known.join(', ') || '(none)'}`, {
      details: { names, known },
    });
  }
}

/** A destructive operator command needs an explicit yes (--yes, or an answer on a terminal). */
export class ConfirmationRequired extends OutflowError {
  constructor(what: string, howToConfirm: string) {
    super('OUTFLOW_ERR_CONFIRMATION_REQUIRED', `${what} needs confirmation: ${howToConfirm}`, { details: { what } });
  }
}

/** `outflow verify` gave up waiting for part of the pipeline to catch up; says what was behind and what to check. */
export class NotCaughtUp extends OutflowError {
  constructor(what: string, state: string, fix: string) {
    super('OUTFLOW_ERR_NOT_CAUGHT_UP', `${what} did not catch up: ${state}. Fix: ${fix}`, { details: { what, state, fix } });
  }
}

/** `outflow verify` found read models that differ from the write model (the report lists each difference). */
export class ReadModelsDiffer extends OutflowError {
  constructor(differences: number, projections: readonly string[]) {
    super('OUTFLOW_ERR_READ_MODELS_DIFFER', `${differences} difference(s) between the write model and ${projections.join(', ')}`, { details: { differences, projections } });
  }
}

/** `outflow status` found the pipeline unhealthy; each problem names the part and what to look at. */
export class PipelineUnhealthy extends OutflowError {
  constructor(readonly problems: readonly string[]) {
    super('OUTFLOW_ERR_UNHEALTHY', `the pipeline is not healthy: ${problems.length} problem(s), listed above`, { details: { problems } });
  }
}

/**
 * A rebuild was not started: another rebuild of the projection holds its lock, or as many
 * rebuilds as the cap allows are running. The message names the running ones.
 */
export class RebuildRefused extends OutflowError {
  constructor(projection: string, reason: string, running: readonly { projection: string; generation: number; startedAt?: Date }[]) {
    const named = running.map((r) => `${r.projection} generation ${r.generation}${r.startedAt ? ` (since ${r.startedAt.toISOString()})` : ''}`);
    super('OUTFLOW_ERR_REBUILD_REFUSED', `rebuild of ${projection} refused: ${reason}${named.length ? `; running: ${named.join(', ')}` : ''}`, {
      details: { projection, reason, running },
    });
  }
}

/** A generation cannot be switched to or dropped: it does not exist, is live, is dropped, or is not built yet. */
export class GenerationRefused extends OutflowError {
  constructor(projection: string, generation: number | undefined, reason: string) {
    super('OUTFLOW_ERR_GENERATION_REFUSED', `${projection}${generation === undefined ? '' : ` generation ${generation}`}: ${reason}`, {
      details: { projection, generation, reason },
    });
  }
}

/** `outflow bench` measures the running stack and services; some are not up (or not healthy). */
export class BenchStackNotUp extends OutflowError {
  constructor(notUp: readonly string[]) {
    super('OUTFLOW_ERR_BENCH_STACK_NOT_UP', `the benchmark needs the whole stack and the services running; not up: ${notUp.join(', ')}. Fix: run \`npm start\` (or \`npx outflow start\`) first`, {
      details: { notUp },
    });
  }
}

/** Scenarios of an `outflow bench` run failed; the others' results and the report were still written. */
export class BenchScenarioFailed extends OutflowError {
  constructor(failures: readonly { scenario: string; message: string }[]) {
    super('OUTFLOW_ERR_BENCH_SCENARIO_FAILED', `${failures.length} scenario(s) failed: ${failures.map((f) => `${f.scenario}: ${f.message.split('\n')[0]}`).join('; ')}`, { details: { failures } });
  }
}

/** A capacity plan needs a figure the benchmark results lack: which scenario and measurement, and where it looked. */
export class CapacityInputMissing extends OutflowError {
  constructor(scenario: string, measurement: string, resultsDir: string, reason: string) {
    super('OUTFLOW_ERR_CAPACITY_INPUT_MISSING', `the capacity plan needs ${measurement} of the ${scenario} scenario, and ${resultsDir} ${reason}. Fix: run \`npm run bench -- --scenarios ${scenario} --out ${resultsDir}\``, {
      details: { scenario, measurement, resultsDir, reason },
    });
  }
}
