// Runs one command as one transaction: the idempotency check, the decision (which locks and reads
// the aggregates it changes), the state rows, the outbox rows, the stored response. Either all of
// it commits or none of it does; a rejected command leaves nothing behind.
//
// Round trips to Postgres, not statements, are what a command waits for, so it takes two:
//   1. BEGIN, the reads that lock what the decision needs, and the idempotency lookup, sent back
//      to back on a pipelined connection (node-pg sends each with its own Sync, so one round trip);
//   then the decision and the Avro encoding, in Node, on what was read;
//   2. the one write statement (state rows, outbox rows, stored answer: writeStatement.ts) and
//      COMMIT, again back to back. The statement is atomic by itself and refuses on its own (a
//      taken key, a row no longer at the version read), so a COMMIT sent before its answer came
//      back can only commit all of it; after a failed statement Postgres answers it with ROLLBACK.
// A command that reads nothing (CreateProduct) is that statement alone: one round trip.
// A replay takes two (the reads, ROLLBACK); a refusal two, three with a key (the winner's lookup).
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { attributeFailure } from '../../lib/dependencyFailure.ts';
import { IdempotencyKeyReused, OutflowError } from '../../lib/errors.ts';
import { isTransactionConflict } from '../../lib/postgresFailure.ts';
import type { Principal } from '../../lib/auth/principal.ts';
import type { EventEncoder } from '../../schemas/eventCodec.ts';
import { encodeEvents, writeOutboxRows } from '../persistence/outboxWriter.ts';
import {
  findProcessedCommand, isKeyTaken, processedCommandLookup, recordProcessedCommand, storedResponse, type StoredResponse,
} from '../persistence/processedCommands.ts';
import { WriteStatement } from '../persistence/writeStatement.ts';
import type { CommandPlan } from './commandPlan.ts';

export type { CommandPlan, Decision } from './commandPlan.ts';

export interface CommandRequest {
  principal: Principal;
  idempotencyKey: string | undefined;
  /** Hash of what the request asks for (route + body), to tell a retry from a reuse. */
  requestHash: string;
  correlationId: string;
  commandId: string;
  /** W3C traceparent stored with the outbox rows (lib/requestTracing.ts), or null. */
  traceparent: string | null;
}

export interface CommandResponse {
  status: number;
  body: { aggregateId: string; version: number };
  location: string | undefined;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

// Deadlocks and serialization failures are safe to retry here: the whole transaction rolled back.
//
// The write database down or not answering in time comes out as DependencyUnavailable (503), and
// is not retried here: the client decides, after Retry-After. What a 503 means for the command:
//  - it failed before COMMIT was sent (no connection, the first round trip, a statement_timeout
//    or lock_timeout of the write statement, which aborts the transaction): it did not happen;
//  - the connection broke, or the answer did not come in time, after COMMIT was sent: it may
//    have committed or not, and nobody can tell from here. Its stored answer commits with it, so a
//    retry with the same Idempotency-Key replays that answer if it did and runs it once if it did
//    not. Without a key a retry may apply it twice (a second order): send one on every command.
// Either way, retrying with the same Idempotency-Key is exactly once.
const MAX_ATTEMPTS = 3;

export class CommandExecutor {
  constructor(
    private readonly pool: pg.Pool,
    private readonly encoder: EventEncoder,
  ) {
    // Without pipelining every statement would wait for the one before: the same results, in
    // four to seven round trips instead of two.
    if (!pool.options.pipeline) throw new Error('the command executor needs a pool created with pipeline: true (writePool in main.ts)');
  }

  async execute(request: CommandRequest, plan: CommandPlan): Promise<CommandResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request, plan);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isTransactionConflict(error)) throw attributeFailure('writePostgres', error);
      }
    }
  }

  private async attempt(request: CommandRequest, plan: CommandPlan): Promise<CommandResponse> {
    const { idempotencyKey, principal, requestHash } = request;
    const tx = await this.pool.connect();
    let released = false;
    try {
      const reads = plan.queries.length > 0;
      let results: pg.QueryResult[] = [];
      if (reads) {
        // The lookup comes after the locks: its statement's snapshot is taken once they are
        // granted, so it sees a request with the same key that committed while this one waited
        // for them (a racing retry), and this one replays its answer instead of deciding again.
        const lookup = idempotencyKey ? [processedCommandLookup(principal.keyId, idempotencyKey)] : [];
        [, ...results] = await roundTrip(tx, ['BEGIN', ...plan.queries, ...lookup]);
        const stored = idempotencyKey ? storedResponse(results.pop()!) : undefined;
        if (stored) {
          await tx.query('ROLLBACK');
          return replay(stored, requestHash, idempotencyKey!);
        }
      }
      const now = new Date();
      const decision = plan.decide(results, now);
      const response: CommandResponse = {
        status: decision.status,
        body: { aggregateId: decision.aggregateId, version: decision.version },
        location: decision.location,
        replayed: false,
      };
      const statement = new WriteStatement();
      decision.write(statement);
      const events = encodeEvents(this.encoder, decision.events, { now, correlationId: request.correlationId, causationId: request.commandId });
      writeOutboxRows(statement, events, now, request.traceparent);
      if (idempotencyKey) {
        recordProcessedCommand(statement, principal.keyId, idempotencyKey, {
          requestHash, status: response.status, body: { body: response.body, location: response.location },
        });
      }
      if (reads) {
        const [, commit] = await roundTrip(tx, [statement.toQuery(), 'COMMIT']);
        if (commit!.command !== 'COMMIT') throw new Error(`COMMIT answered ${commit!.command}`);
      } else {
        // A statement outside BEGIN is a transaction of its own.
        await tx.query(statement.toQuery());
      }
      return response;
    } catch (caught) {
      const error = plan.rejection?.(caught) ?? caught;
      let broken: Error | undefined;
      // A failed write statement or COMMIT has ended the transaction already ('I'): nothing to roll back.
      if (tx.getTransactionStatus() !== 'I') await tx.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      // A connection that cannot roll back is not given back to the pool.
      tx.release(broken);
      released = true;
      // A request with the same key may have committed while this one waited on its locks and
      // changed what this one found (it took the last unit in stock), or just before this one's
      // write statement (which then found the key taken): its answer is the answer.
      if (idempotencyKey && !(error instanceof IdempotencyKeyReused) && (isRejection(error) || isKeyTaken(error))) {
        const winner = await findProcessedCommand(this.pool, principal.keyId, idempotencyKey);
        if (winner) return replay(winner, requestHash, idempotencyKey);
        if (isKeyTaken(error)) throw new Error(`idempotency key ${idempotencyKey} conflicted but no stored response was found`, { cause: error });
      }
      throw error;
    } finally {
      if (!released) tx.release();
    }
  }
}

/**
 * Sends the statements back to back and waits for every answer: one round trip on a pipelined
 * connection. The first failure is the cause; in a transaction the statements after it only
 * failed because it aborted the transaction.
 */
async function roundTrip(tx: pg.PoolClient, statements: readonly (string | pg.QueryConfig)[]): Promise<pg.QueryResult[]> {
  // A pipelined client writes each statement as it is queued, one write to the socket apiece;
  // corked, they leave in one (node-pg corks the same socket around each statement's messages).
  const socket = (tx as unknown as { connection?: { stream?: Partial<Pick<Writable, 'cork' | 'uncork'>> } }).connection?.stream;
  socket?.cork?.();
  let answers: Promise<pg.QueryResult>[];
  try {
    answers = statements.map((s) => (typeof s === 'string' ? tx.query(s) : tx.query(s)));
  } finally {
    socket?.uncork?.();
  }
  const settled = await Promise.allSettled(answers);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<pg.QueryResult>).value);
}

/** A business rule or a precondition refused the command (4xx): not a fault of the server. */
function isRejection(error: unknown): boolean {
  return error instanceof OutflowError && error.httpStatus !== undefined && error.httpStatus >= 400 && error.httpStatus < 500;
}

function replay(stored: StoredResponse, requestHash: string, key: string): CommandResponse {
  if (stored.requestHash !== requestHash) throw new IdempotencyKeyReused(key);
  const { body, location } = stored.body as { body: CommandResponse['body']; location?: string };
  return { status: stored.status, body, location, replayed: true };
}
