// Runs one command as one transaction: idempotency check, the decision (which
// locks and changes the aggregates), the outbox rows, the stored response. Either all
// of it commits or none of it does; a rejected command leaves nothing behind.
import type pg from 'pg';
import { IdempotencyKeyReused, OutflowError } from '../../lib/errors.ts';
import type { PendingEvent } from '../domain/pendingEvent.ts';
import { findProcessedCommand, recordProcessedCommand } from '../persistence/processedCommands.ts';
import { writeToOutbox, type EventEncoder } from '../persistence/outboxWriter.ts';
import type { Principal } from '../auth/principal.ts';

export interface CommandRequest {
  principal: Principal;
  idempotencyKey: string | undefined;
  /** Hash of what the request asks for (route + body), to tell a retry from a reuse. */
  requestHash: string;
  correlationId: string;
  commandId: string;
}

export interface Decision {
  status: 200 | 201;
  aggregateId: string;
  version: number;
  location?: string;
  events: PendingEvent[];
}

export interface CommandResponse {
  status: number;
  body: { aggregateId: string; version: number };
  location: string | undefined;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

// Deadlocks and serialization failures are safe to retry: the whole transaction rolled back.
const RETRIABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

export class CommandExecutor {
  constructor(
    private readonly pool: pg.Pool,
    private readonly encoder: EventEncoder,
  ) {}

  async execute(request: CommandRequest, decide: (tx: pg.ClientBase, now: Date) => Promise<Decision>): Promise<CommandResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request, decide);
      } catch (error) {
        const sqlState = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !sqlState || !RETRIABLE_SQLSTATES.has(sqlState)) throw error;
      }
    }
  }

  private async attempt(request: CommandRequest, decide: (tx: pg.ClientBase, now: Date) => Promise<Decision>): Promise<CommandResponse> {
    const { idempotencyKey, principal, requestHash } = request;
    const tx = await this.pool.connect();
    let released = false;
    try {
      await tx.query('BEGIN');
      if (idempotencyKey) {
        const stored = await findProcessedCommand(tx, principal.name, idempotencyKey);
        if (stored) {
          await tx.query('ROLLBACK');
          return replay(stored, requestHash, idempotencyKey);
        }
      }
      const now = new Date();
      const decision = await decide(tx, now);
      await writeToOutbox(tx, this.encoder, decision.events, {
        now,
        correlationId: request.correlationId,
        causationId: request.commandId,
      });
      const response: CommandResponse = {
        status: decision.status,
        body: { aggregateId: decision.aggregateId, version: decision.version },
        location: decision.location,
        replayed: false,
      };
      if (idempotencyKey) {
        const stored = { requestHash, status: response.status, body: { body: response.body, location: response.location } };
        if (!(await recordProcessedCommand(tx, principal.name, idempotencyKey, stored))) {
          // A concurrent request with the same key committed first: answer as it did.
          await tx.query('ROLLBACK');
          const winner = await findProcessedCommand(this.pool, principal.name, idempotencyKey);
          if (!winner) throw new Error(`idempotency key ${idempotencyKey} conflicted but no stored response was found`);
          return replay(winner, requestHash, idempotencyKey);
        }
      }
      await tx.query('COMMIT');
      return response;
    } catch (error) {
      let broken: Error | undefined;
      await tx.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      // A connection that cannot roll back is not given back to the pool.
      tx.release(broken);
      released = true;
      // A request with the same key may have committed while this one waited on its locks and
      // changed what this one found (it took the last unit in stock): its answer is the answer.
      if (idempotencyKey && isRejection(error)) {
        const winner = await findProcessedCommand(this.pool, principal.name, idempotencyKey);
        if (winner) return replay(winner, requestHash, idempotencyKey);
      }
      throw error;
    } finally {
      if (!released) tx.release();
    }
  }
}

/** A business rule or a precondition refused the command (4xx): not a fault of the server. */
function isRejection(error: unknown): boolean {
  return error instanceof OutflowError && error.httpStatus !== undefined && error.httpStatus >= 400 && error.httpStatus < 500;
}

function replay(stored: { requestHash: string; status: number; body: unknown }, requestHash: string, key: string): CommandResponse {
  if (stored.requestHash !== requestHash) throw new IdempotencyKeyReused(key);
  const { body, location } = stored.body as { body: CommandResponse['body']; location?: string };
  return { status: stored.status, body, location, replayed: true };
}
