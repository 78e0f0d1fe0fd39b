// Steady request load against an API while a dependency is stopped and started again: every
// answer is recorded with its status, Retry-After and duration, so a test can ask what the API
// answered in a window of time. Commands carry an Idempotency-Key and are retried with it after
// a 503 until they get a definitive answer, as a client following docs/operations.md would.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';

export interface RecordedAnswer {
  route: string;
  status: number;
  startedAt: number;
  durationMs: number;
  retryAfter: string | undefined;
  body: unknown;
}

export type Request = () => Promise<LightMyRequestResponse>;

function bodyOf(reply: LightMyRequestResponse): unknown {
  try {
    return reply.json();
  } catch {
    return reply.body;
  }
}

export class AnswerLog {
  readonly answers: RecordedAnswer[] = [];

  async record(route: string, request: Request): Promise<RecordedAnswer> {
    const startedAt = Date.now();
    const reply = await request();
    const retryAfter = reply.headers['retry-after'];
    const answer: RecordedAnswer = {
      route,
      status: reply.statusCode,
      startedAt,
      durationMs: Date.now() - startedAt,
      retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
      body: bodyOf(reply),
    };
    this.answers.push(answer);
    return answer;
  }

  /** Answers to requests that started between `from` and `to` (epoch ms). */
  between(from: number, to: number): RecordedAnswer[] {
    return this.answers.filter((a) => a.startedAt >= from && a.startedAt < to);
  }
}

/**
 * Runs `lanes` loops of `next()` until stop(); each loop pauses `pauseMs` between requests so the
 * load is steady rather than as fast as the machine goes. Resolves when every loop has ended.
 */
export class SteadyLoad {
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(next: (lane: number) => Promise<unknown>, { lanes, pauseMs }: { lanes: number; pauseMs: number }) {
    this.running = Promise.all(Array.from({ length: lanes }, async (_, lane) => {
      while (!this.stopped) {
        await next(lane);
        await sleep(pauseMs);
      }
    })).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

/**
 * Sends one command and, while it answers 503, sends it again with the same Idempotency-Key
 * after its Retry-After. Returns the definitive answer (2xx or 4xx), or the last 503 when
 * `giveUp()` says to stop trying.
 */
export async function commandUntilDefinitive(log: AnswerLog, route: string, send: Request, giveUp: () => boolean): Promise<RecordedAnswer> {
  for (;;) {
    const answer = await log.record(route, send);
    if (answer.status !== 503 || giveUp()) return answer;
    await sleep(Number(answer.retryAfter ?? 1) * 1000);
  }
}
