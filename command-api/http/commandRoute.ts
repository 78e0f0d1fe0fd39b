// What every command route shares: who may call it, the Idempotency-Key and If-Match
// headers, and turning the executor's answer into a response.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { Forbidden } from '../../lib/errors.ts';
import type { Principal } from '../../lib/auth/principal.ts';
import type { CommandExecutor, CommandPlan } from '../commands/commandExecutor.ts';
import { errorResponses } from '../../lib/errorResponseSchema.ts';
import { correlationIdOf } from '../../lib/commandRequest.ts';
import { outboxTraceparent } from '../../lib/requestTracing.ts';
import { commandAccepted, commandHeaders } from './requestSchemas.ts';

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

export function requireAdmin(request: FastifyRequest): void {
  if (principalOf(request).role !== 'admin') throw new Forbidden(`${request.method} ${request.routeOptions.url} needs an admin key`);
}

/**
 * Route schema parts every command shares: headers and the documented responses. The route's own
 * parts keep their literal types, from which the type provider infers params and body.
 */
export function commandSchema<const Parts extends Pick<FastifySchema, 'params' | 'body'>>(summary: string, parts: Parts) {
  return {
    summary,
    headers: commandHeaders,
    security: [{ apiKey: [] }],
    ...parts,
    response: { 200: commandAccepted, 201: commandAccepted, ...errorResponses },
  };
}

export async function sendCommand(
  executor: CommandExecutor,
  request: FastifyRequest,
  reply: FastifyReply,
  plan: CommandPlan,
) {
  const idempotencyKey = request.headers['idempotency-key'];
  const requestHash = crypto
    .createHash('sha256')
    .update(JSON.stringify([request.method, request.routeOptions.url, request.params, request.body ?? null]))
    .digest('hex');
  const result = await executor.execute(
    {
      principal: principalOf(request),
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      requestHash,
      correlationId: correlationIdOf(request),
      commandId: request.id,
      traceparent: outboxTraceparent(request),
    },
    plan,
  );
  if (result.location) reply.header('location', result.location);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}
