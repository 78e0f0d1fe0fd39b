// When a projection consumer commits its applied offsets to Kafka. The store's checkpoint, not
// Kafka's committed offset, says where a partition resumes (a worker seeks to it on assignment),
// so a commit only serves what reads the group's offsets from outside: `kafka-consumer-groups`,
// KEDA's lag trigger. Committing after every chunk cost an OffsetCommit round trip per chunk
// on the worker's critical path and kept Kafka's group coordinator busy at low rates, where
// chunks hold one event. A commit is due once `intervalMs` passed or `maxEvents` events were
// applied since the last one, so what lag readers see is at most that much behind.

export interface OffsetCommitLimits {
  /** Commit at least this often while events are applied. */
  intervalMs: number;
  /** Commit once this many events were applied since the last commit, whatever the time. */
  maxEvents: number;
}

export const DEFAULT_OFFSET_COMMIT_LIMITS: OffsetCommitLimits = { intervalMs: 1_000, maxEvents: 500 };

export class OffsetCommitPolicy {
  private lastCommitAt: number;
  private appliedSince = 0;

  constructor(
    readonly limits: OffsetCommitLimits = DEFAULT_OFFSET_COMMIT_LIMITS,
    now: number = Date.now(),
  ) {
    this.lastCommitAt = now;
  }

  /** Counts a chunk's events as applied; true when a commit is now due. */
  applied(events: number, now: number = Date.now()): boolean {
    this.appliedSince += events;
    return this.appliedSince >= this.limits.maxEvents || now - this.lastCommitAt >= this.limits.intervalMs;
  }

  /** A commit was sent: the count and the clock start again. */
  committed(now: number = Date.now()): void {
    this.appliedSince = 0;
    this.lastCommitAt = now;
  }
}
