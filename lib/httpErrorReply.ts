// The one place errors become HTTP responses, for both APIs: every 4xx has a JSON body
// with a stable code, a message and, for validation, each bad field. A dependency that is
// down or too slow is 503 (lib/dependencyFailure.ts). Unexpected errors are logged and
// answered 500 without internals.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { unavailabilityOf } from './dependencyFailure.ts';
import { errorCodes, type ErrorCode } from './errorCodes.ts';
import { DependencyUnavailable, OutflowError, ValidationFailed, type FieldError } from './errors.ts';
import { sqlStateRefusal } from './sqlStateRefusal.ts';

/** An error answer; its schema is lib/errorResponseSchema.ts. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[]; details?: Record<string, unknown> };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/items/0/quantity` in the body → `body.items[0].quantity`. */
function fieldPath(context: string, instancePath: string, child?: unknown): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof child === 'string') parts.push(child);
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), context);
}

export function validationFields(context: string, errors: readonly AjvError[]): FieldError[] {
  return errors.map((e) => {
    if (e.keyword === 'required') return { field: fieldPath(context, e.instancePath, e.params.missingProperty), message: 'is required' };
    if (e.keyword === 'additionalProperties') return { field: fieldPath(context, e.instancePath, e.params.additionalProperty), message: 'is not allowed' };
    if (e.keyword === 'enum') return { field: fieldPath(context, e.instancePath), message: `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` };
    return { field: fieldPath(context, e.instancePath), message: e.message ?? e.keyword };
  });
}

export function errorReply(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const fastifyError = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  let outflowError: OutflowError | undefined = error instanceof OutflowError ? error : undefined;
  if (fastifyError.validation) {
    outflowError = new ValidationFailed(validationFields(fastifyError.validationContext ?? 'body', fastifyError.validation));
  } else if (!outflowError && fastifyError.statusCode && fastifyError.statusCode < 500) {
    // Fastify's own 4xx: malformed JSON, wrong content type, body too large.
    const body: ErrorBody = { error: { code: 'OUTFLOW_ERR_BAD_REQUEST', message: fastifyError.message, fields: [{ field: 'body', message: fastifyError.message }] } };
    return reply.status(fastifyError.statusCode).send(body);
  }
  if (!outflowError) {
    outflowError = sqlStateRefusal(error);
    // Answered 4xx, yet each one is a bug of ours: a validation that should have refused it first.
    if (outflowError) request.log.warn({ err: error, sqlState: outflowError.details.sqlState }, 'the database refused what a request carried: a validation is missing');
  }
  if (!outflowError) {
    // An outage no caller attributed (each API names its stores where it reads them).
    const unavailability = unavailabilityOf(error);
    if (unavailability) outflowError = new DependencyUnavailable('a dependency', unavailability, { cause: error });
  }
  // 503: the driver's words stay in the log, the caller gets the dependency's name (and Retry-After, httpApi.ts).
  if (outflowError instanceof DependencyUnavailable) request.log.warn({ err: outflowError.cause, dependency: outflowError.details.dependency }, 'a dependency is unavailable: 503');
  if (outflowError?.httpStatus) {
    const body: ErrorBody = { error: { code: outflowError.code, message: outflowError.message } };
    if (outflowError instanceof ValidationFailed) body.error.fields = outflowError.fields;
    else if (Object.keys(outflowError.details).length) body.error.details = outflowError.details;
    return reply.status(outflowError.httpStatus).send(body);
  }
  request.log.error({ err: error }, 'request failed unexpectedly');
  const body: ErrorBody = { error: { code: 'OUTFLOW_ERR_INTERNAL', message: 'internal error; see the server log for the request id ' + request.id } };
  return reply.status(errorCodes.OUTFLOW_ERR_INTERNAL.httpStatus).send(body);
}
