// What a worker that follows the live generations asks of the generation registry. The registry
// lives in generations/, which builds on the runtime (a rebuild runs workers of its own); so the
// worker is handed an implementation (generations/registryLiveGenerations.ts) instead of
// importing one, and the runtime never depends on what is built on top of it.
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import type { ProjectionDefinition, StoreConnections } from '../projection.ts';

export interface RetiredGeneration {
  projection: string;
  generation: number;
}

export interface LiveGenerations {
  /** Creates what the registry reads when it is missing. */
  prepare(pool: pg.Pool): Promise<void>;
  /** The projection's live generation; recorded first (the stores' `pointer`, else the next number) when it has none. */
  ensureLive(pool: pg.Pool, definition: ProjectionDefinition, pointer: number | undefined): Promise<{ generation: number; recorded: boolean }>;
  /** The live generation of each named projection that has one. */
  live(pool: pg.Pool, projections: readonly string[]): Promise<Map<string, number>>;
  /** Retired generations of the named projections whose grace period has passed. */
  expiredRetired(pool: pg.Pool, projections: readonly string[], graceMs: number): Promise<RetiredGeneration[]>;
  /** Drops a retired generation's data; rejects when it is no longer retired (another worker dropped it first). */
  drop(context: StoreConnections, definition: ProjectionDefinition, generation: number, admin: Admin): Promise<unknown>;
}
