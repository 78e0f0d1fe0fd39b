// The worker's in-memory view of a projection's parked keys (key → first parked offset).
// It is reloaded on every assignment and after a short TTL: a key unparked by
// `outflow dlq retry` is noticed at the latest when the worker next tries to park behind it
// (the row is gone, so it applies the event instead), and a key parked by another worker on
// another topic of the projection within the TTL. It also holds the source positions an
// operator dropped with `outflow dlq skip` (skippedMessagesTable.ts), loaded at the same moments.
//
// A reload reads the tables while chunks of other partitions keep parking keys: a key parked
// after the read began may be missing from what it returns, so the cache's own changes made
// during a reload are replayed onto its result, and a reload never replaces a newer one's.
import type pg from 'pg';
import { loadParkedKeys } from './parkedKeysTable.ts';
import { loadSkippedPositions, skippedPositionKey } from './skippedMessagesTable.ts';

export interface ParkedKeysSnapshot {
  /** key → source offset of the message that parked it. */
  keys: Map<string, string>;
  /** skippedPositionKey of every message an operator dropped. */
  skipped: Set<string>;
}

export type LoadParkedKeys = () => Promise<ParkedKeysSnapshot>;

/** The cache of one projection generation, loading from the read-model Postgres. */
export function parkedKeyCacheOn(pool: pg.Pool, projection: string, generation: number, ttlMs: number): ParkedKeyCache {
  return new ParkedKeyCache(async () => ({
    keys: await loadParkedKeys(pool, projection, generation),
    skipped: await loadSkippedPositions(pool, projection),
  }), ttlMs);
}

export class ParkedKeyCache {
  private keys = new Map<string, string>();
  private skipped = new Set<string>();
  private loadedAt = 0;
  private reloadsStarted = 0;
  private installedReload = 0;
  /** Per running reload: the keys added (offset) or deleted (null) since it began. */
  private readonly changesDuringReloads = new Set<Map<string, string | null>>();

  constructor(
    private readonly load: LoadParkedKeys,
    private readonly ttlMs: number,
  ) {}

  async reload(): Promise<void> {
    const number = ++this.reloadsStarted;
    const changes = new Map<string, string | null>();
    this.changesDuringReloads.add(changes);
    try {
      const { keys, skipped } = await this.load();
      if (number < this.installedReload) return;
      for (const [key, firstOffset] of changes) {
        if (firstOffset === null) keys.delete(key);
        else keys.set(key, firstOffset);
      }
      this.keys = keys;
      this.skipped = skipped;
      this.installedReload = number;
      this.loadedAt = Date.now();
    } finally {
      this.changesDuringReloads.delete(changes);
    }
  }

  async reloadIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt >= this.ttlMs) await this.reload();
  }

  /** Whether an operator dropped the message at this source position (in any generation). */
  isSkipped(topic: string, partition: number, offset: string): boolean {
    return this.skipped.size > 0 && this.skipped.has(skippedPositionKey(topic, partition, offset));
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** The source offset of the message that parked `key`. */
  firstOffsetOf(key: string): string | undefined {
    return this.keys.get(key);
  }

  add(key: string, firstOffset: string): void {
    this.keys.set(key, firstOffset);
    for (const changes of this.changesDuringReloads) changes.set(key, firstOffset);
  }

  delete(key: string): void {
    this.keys.delete(key);
    for (const changes of this.changesDuringReloads) changes.set(key, null);
  }

  get size(): number {
    return this.keys.size;
  }
}
