// How fresh each read model is, told with every read answer (the Outflow-Freshness header), so a
// caller can see staleness without a metrics system. Read from the read stores only: the
// checkpoints the workers commit with their writes and the source time stored with each
// (when the change at that offset happened, see PartitionBatch.sourceTimeMs).
//
// The stores are read in the background, once per refresh interval per projection, never per
// request: an answer carries the last snapshot, so its age can only overstate the staleness
// (by at most the interval), never understate it.
import type pino from 'pino';
import { topicsOf, type ProjectionDefinition, type ProjectionStore, type StoreConnections } from '../projectors/projection.ts';

export const FRESHNESS_HEADER = 'outflow-freshness';

export interface FreshnessSnapshot {
  /** The generation read: the live one, or the one the API was told to read. */
  generation: number;
  /**
   * The sum over the projection's partitions of the next offset to apply (checkpoint + 1): it only
   * grows, and two answers with the same position reflect the same applied messages.
   */
  position: bigint;
  /** The newest source time over those partitions; absent when none is recorded yet. */
  newestSourceTimeMs?: number;
}

/** One projection's snapshot, from its store; undefined while the projection has no generation. */
export interface FreshnessSource {
  projection: string;
  read(): Promise<FreshnessSnapshot | undefined>;
}

/** The header's value: an RFC 8941 dictionary, e.g. `generation=3, position=48213, age-ms=182`. */
export function freshnessHeaderValue(snapshot: FreshnessSnapshot, nowMs: number): string {
  const base = `generation=${snapshot.generation}, position=${snapshot.position}`;
  if (snapshot.newestSourceTimeMs === undefined) return base;
  return `${base}, age-ms=${Math.max(0, Math.round(nowMs - snapshot.newestSourceTimeMs))}`;
}

/** Folds every partition's checkpoint and source time of every topic into one snapshot. */
export async function snapshotOf(store: ProjectionStore, generation: number, topics: readonly string[]): Promise<FreshnessSnapshot> {
  let position = 0n;
  let newest: number | undefined;
  for (const partitions of await Promise.all(topics.map((topic) => store.readFreshness(topic)))) {
    for (const { offset, sourceTimeMs } of partitions.values()) {
      position += BigInt(offset) + 1n;
      if (sourceTimeMs !== undefined && (newest === undefined || sourceTimeMs > newest)) newest = sourceTimeMs;
    }
  }
  return newest === undefined ? { generation, position } : { generation, position, newestSourceTimeMs: newest };
}

/**
 * A projection's store, read as the query API's connections allow (the query role on Postgres).
 * `generation` fixes the generation read; otherwise the pointer names it at each refresh.
 */
export function storeFreshnessSource(definition: ProjectionDefinition, connections: StoreConnections, generation?: number): FreshnessSource {
  const topics = topicsOf(definition);
  const stores = new Map<number, ProjectionStore>();
  const storeOf = (g: number): ProjectionStore => {
    let store = stores.get(g);
    if (!store) {
      store = definition.createStore(connections, g);
      stores.set(g, store);
    }
    return store;
  };
  return {
    projection: definition.name,
    async read() {
      const live = generation ?? (await definition.liveGeneration(connections));
      if (live === undefined) return undefined;
      // Only the live generation's store stays: a rebuild's switch leaves the old one behind.
      for (const g of stores.keys()) if (g !== live) stores.delete(g);
      return snapshotOf(storeOf(live), live, topics);
    },
  };
}

export class ReadModelFreshness {
  private readonly snapshots = new Map<string, FreshnessSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly sources: readonly FreshnessSource[],
    private readonly refreshMs: number,
    private readonly log: pino.Logger,
  ) {}

  /** Starts refreshing in the background; answers carry no header until the first snapshot. */
  start(): void {
    if (this.timer || this.refreshMs <= 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The header value for `projection` now, or undefined when nothing is known yet. */
  header(projection: string, nowMs = Date.now()): string | undefined {
    const snapshot = this.snapshots.get(projection);
    return snapshot && freshnessHeaderValue(snapshot, nowMs);
  }

  /** Reads every source once; a store that fails keeps its last snapshot (older, so never flattering). */
  refresh(): Promise<void> {
    this.refreshing ??= Promise.all(this.sources.map((source) => this.refreshOne(source))).then(
      () => { this.refreshing = undefined; },
      () => { this.refreshing = undefined; },
    );
    return this.refreshing;
  }

  private async refreshOne(source: FreshnessSource): Promise<void> {
    try {
      const snapshot = await source.read();
      if (snapshot) this.snapshots.set(source.projection, snapshot);
      else this.snapshots.delete(source.projection);
    } catch (error) {
      this.log.debug({ projection: source.projection, err: error instanceof Error ? error.message : String(error) }, 'read model freshness not refreshed; keeping the last snapshot');
    }
  }
}
