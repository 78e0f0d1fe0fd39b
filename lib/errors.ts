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

/** Every code above, with what it means; the README's error catalog is checked against this. */
export const errorCatalog: Readonly<Record<string, string>> = Object.freeze({
  OUTFLOW_ERR_CONFIG: 'An environment variable holds a value the configuration cannot use.',
  OUTFLOW_ERR_PREREQUISITE: 'A program the local stack needs is not installed.',
  OUTFLOW_ERR_STACK: 'A local stack component failed to fetch, start, stop or become healthy.',
  OUTFLOW_ERR_DEADLINE: 'A deadline passed while waiting for a condition.',
});
