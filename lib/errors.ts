// One error hierarchy for the whole project. Every error has a stable code
// (documented in the README's error catalog), an HTTP status where one applies,
// and a `retriable` flag that retry loops read instead of guessing from messages.

export interface OutflowErrorOptions {
  httpStatus?: number;
  retriable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class OutflowError extends Error {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: OutflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.retriable = options.retriable ?? false;
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
      retriable: true,
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
      httpStatus: 400,
      details: { fields },
    });
    this.fields = fields;
  }
}

/** No API key, or one that is not known. */
export class Unauthenticated extends OutflowError {
  constructor(message = 'a valid API key is required: send Authorization: Bearer <key>') {
    super('OUTFLOW_ERR_UNAUTHENTICATED', message, { httpStatus: 401 });
  }
}

/** The caller is known but may not do this (wrong role, another customer's order). */
export class Forbidden extends OutflowError {
  constructor(message: string) {
    super('OUTFLOW_ERR_FORBIDDEN', message, { httpStatus: 403 });
  }
}

export class NotFound extends OutflowError {
  constructor(what: string, id: string) {
    super('OUTFLOW_ERR_NOT_FOUND', `${what} ${id} does not exist`, { httpStatus: 404, details: { what, id } });
  }
}

/** The client's expected version (If-Match) is not the aggregate's current one. */
export class ConcurrencyConflict extends OutflowError {
  constructor(aggregate: string, id: string, expectedVersion: number, currentVersion: number) {
    super('OUTFLOW_ERR_CONCURRENCY', `${aggregate} ${id} is at version ${currentVersion}, not ${expectedVersion}`, {
      httpStatus: 409,
      details: { aggregate, id, expectedVersion, currentVersion },
    });
  }
}

/** A business rule refused the command (e.g. not enough stock). Nothing was written. */
export class InvariantViolation extends OutflowError {
  readonly rule: string;
  constructor(rule: string, message: string, details: Record<string, unknown> = {}) {
    super('OUTFLOW_ERR_INVARIANT', message, { httpStatus: 422, details: { rule, ...details } });
    this.rule = rule;
  }
}

/** An Idempotency-Key was reused with a different request. */
export class IdempotencyKeyReused extends OutflowError {
  constructor(key: string) {
    super('OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was already used for a different request`, {
      httpStatus: 422,
      details: { key },
    });
  }
}

/** Every code above, with what it means; the README's error catalog is checked against this. */
export const errorCatalog: Readonly<Record<string, string>> = Object.freeze({
  OUTFLOW_ERR_CONFIG: 'An environment variable holds a value the configuration cannot use.',
  OUTFLOW_ERR_PREREQUISITE: 'A program the local stack needs is not installed.',
  OUTFLOW_ERR_STACK: 'A local stack component failed to fetch, start, stop or become healthy.',
  OUTFLOW_ERR_DEADLINE: 'A deadline passed while waiting for a condition.',
  OUTFLOW_ERR_MIGRATION: 'A SQL migration failed; it was rolled back and later ones were not applied.',
  OUTFLOW_ERR_VALIDATION: 'The request is malformed; the response names each bad field (HTTP 400).',
  OUTFLOW_ERR_UNAUTHENTICATED: 'No API key, or an unknown one (HTTP 401).',
  OUTFLOW_ERR_FORBIDDEN: "The API key's role may not do this, or the order belongs to another customer (HTTP 403).",
  OUTFLOW_ERR_NOT_FOUND: 'The addressed aggregate does not exist (HTTP 404).',
  OUTFLOW_ERR_CONCURRENCY: "If-Match named a version that is not the aggregate's current one (HTTP 409).",
  OUTFLOW_ERR_INVARIANT: 'A business rule refused the command, e.g. not enough stock (HTTP 422).',
  OUTFLOW_ERR_IDEMPOTENCY_KEY_REUSED: 'An Idempotency-Key was reused with a different request (HTTP 422).',
});
