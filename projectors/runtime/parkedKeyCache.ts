// The worker's in-memory view of a projection's parked keys (key → first parked offset).
// It is reloaded on every assignment and after a short TTL: a key unparked by
// `outflow dlq retry` is noticed at the latest when the worker next tries to park behind it
// (the row is gone, so it applies the event instead), and a key parked by another worker on
// another topic of the projection within the TTL.
//
// It also holds the messages an operator skipped (`outflow dlq skip`, any generation), which
// the worker passes over instead of parking their key: loaded and refreshed together.
import type pg from 'pg';
import { loadParkedKeys } from './parkedKeysTable.ts';
import { loadSkippedMessages, skippedPosition } from './skippedMessagesTable.ts';

export class ParkedKeyCache {
  private keys = new Map<string, string>();
  private skipped = new Set<string>();
  private loadedAt = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly projection: string,
    private readonly generation: number,
    private readonly ttlMs: number,
  ) {}

  async reload(): Promise<void> {
    this.keys = await loadParkedKeys(this.pool, this.projection, this.generation);
    this.skipped = await loadSkippedMessages(this.pool, this.projection);
    this.loadedAt = Date.now();
  }

  async reloadIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt >= this.ttlMs) await this.reload();
  }

  /** Whether an operator skipped this source message for good. */
  isSkipped(topic: string, partition: number, offset: string): boolean {
    return this.skipped.has(skippedPosition(topic, partition, offset));
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
  }

  delete(key: string): void {
    this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }
}
