// projection_generations on the read-model Postgres: every physical generation of every
// projection and its state. It is the source of truth for which generation is live: workers
// that follow the live generation read it, `outflow projections switch` changes it (moving
// the stores' reader pointers in the same step), and a rebuild records its generation here.
//
//   building → live → retired → dropped        (switch --to moves a retired one back to live)
//
// At most one live and one building generation per projection (partial unique indexes).
// Every change of a projection's rows runs under that projection's advisory lock.
import type pg from 'pg';
import { inTransaction } from '../../lib/postgresTransaction.ts';
import { runSerialisedDdl } from '../../lib/serialisedDdl.ts';
import type { ProjectionFingerprint } from './projectionFingerprint.ts';

export type GenerationState = 'building' | 'live' | 'retired' | 'dropped';

/** How a generation came to be: the first one a worker started, one that existed before the registry, or a rebuild's. */
export type GenerationOrigin = 'initial' | 'adopted' | 'rebuild';

export interface GenerationRow {
  projection: string;
  generation: number;
  state: GenerationState;
  origin: GenerationOrigin;
  fingerprint: ProjectionFingerprint | null;
  codeVersion: number;
  createdAt: Date;
  /** When the latest run of its rebuild started (building generations). */
  rebuildStartedAt: Date | null;
  /** When a rebuild first found it within the lag threshold: only then may it be switched to. */
  caughtUpAt: Date | null;
  liveSince: Date | null;
  retiredAt: Date | null;
  droppedAt: Date | null;
}

// Advisory lock classes (first key); the second key is the projection's hash.
export const REGISTRY_LOCK = 7_342_100;
export const REBUILD_LOCK = 7_342_101;
export const REBUILD_SLOT_LOCK = 7_342_102;

/** The second advisory-lock key of a projection: a non-negative int4, as pg_locks shows it. */
export const projectionLockKey = `(hashtext($1) & 2147483647)`;

const createTable = `
CREATE TABLE IF NOT EXISTS projection_generations (
  projection         text        NOT NULL,
  generation         int         NOT NULL CHECK (generation > 0),
  state              text        NOT NULL CHECK (state IN ('building', 'live', 'retired', 'dropped')),
  origin             text        NOT NULL CHECK (origin IN ('initial', 'adopted', 'rebuild')),
  fingerprint        jsonb,
  code_version       int         NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  rebuild_started_at timestamptz,
  caught_up_at       timestamptz,
  live_since         timestamptz,
  retired_at         timestamptz,
  dropped_at         timestamptz,
  PRIMARY KEY (projection, generation)
);
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_one_live ON projection_generations (projection) WHERE state = 'live';
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_one_building ON projection_generations (projection) WHERE state = 'building';`;

const columns = `projection, generation, state, origin, fingerprint, code_version AS "codeVersion", created_at AS "createdAt",
  rebuild_started_at AS "rebuildStartedAt", caught_up_at AS "caughtUpAt", live_since AS "liveSince", retired_at AS "retiredAt", dropped_at AS "droppedAt"`;

/** Creates the table if missing; safe when several workers start at once. */
export function ensureGenerationRegistry(pool: pg.Pool): Promise<void> {
  return runSerialisedDdl(pool, 'projection_generations', createTable);
}

/** Runs `work` in a transaction holding the projection's registry lock. */
export async function withRegistryLock<T>(pool: pg.Pool, projection: string, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${REGISTRY_LOCK}, ${projectionLockKey})`, [projection]);
    return work(tx);
  });
}

export async function listGenerations(db: pg.Pool | pg.PoolClient, projection?: string): Promise<GenerationRow[]> {
  const { rows } = await db.query<GenerationRow>(
    `SELECT ${columns} FROM projection_generations WHERE ($1::text IS NULL OR projection = $1) ORDER BY projection, generation`,
    [projection ?? null],
  );
  return rows;
}

export async function readGeneration(db: pg.Pool | pg.PoolClient, projection: string, generation: number): Promise<GenerationRow | undefined> {
  const { rows } = await db.query<GenerationRow>(`SELECT ${columns} FROM projection_generations WHERE projection = $1 AND generation = $2`, [projection, generation]);
  return rows[0];
}

/** projection → its live generation, for the projections that have one. */
export async function liveGenerations(db: pg.Pool | pg.PoolClient, projections: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ projection: string; generation: number }>(
    `SELECT projection, generation FROM projection_generations WHERE state = 'live' AND projection = ANY($1)`,
    [projections],
  );
  return new Map(rows.map((row) => [row.projection, row.generation]));
}

/**
 * The live generation, recording one when the projection has none: the generation the
 * stores' pointer already names (a deployment older than the registry), or generation 1,
 * which a fresh consumer group fills from offset 0.
 */
export async function ensureLiveGeneration(
  pool: pg.Pool,
  projection: string,
  pointer: number | undefined,
  fingerprint: ProjectionFingerprint,
): Promise<{ generation: number; recorded: boolean }> {
  return withRegistryLock(pool, projection, async (tx) => {
    const live = await liveGenerations(tx, [projection]);
    const existing = live.get(projection);
    if (existing !== undefined) return { generation: existing, recorded: false };
    const { rows } = await tx.query<{ max: number | null }>('SELECT max(generation) AS max FROM projection_generations WHERE projection = $1', [projection]);
    const generation = pointer ?? (rows[0]?.max ?? 0) + 1;
    // An adopted generation was built by code the registry never saw: no fingerprint to claim.
    await tx.query(
      `INSERT INTO projection_generations (projection, generation, state, origin, fingerprint, code_version, live_since)
       VALUES ($1, $2, 'live', $3, $4, $5, now())
       ON CONFLICT (projection, generation) DO UPDATE SET state = 'live', live_since = now(), retired_at = NULL`,
      [projection, generation, pointer === undefined ? 'initial' : 'adopted', pointer === undefined ? fingerprint : null, fingerprint.codeVersion],
    );
    return { generation, recorded: true };
  });
}

/** Records a new building generation, numbered after every generation the projection ever had. */
export async function createBuildingGeneration(tx: pg.PoolClient, projection: string, fingerprint: ProjectionFingerprint, atLeast = 1): Promise<number> {
  const { rows } = await tx.query<{ max: number | null }>('SELECT max(generation) AS max FROM projection_generations WHERE projection = $1', [projection]);
  const generation = Math.max((rows[0]?.max ?? 0) + 1, atLeast);
  await tx.query(
    `INSERT INTO projection_generations (projection, generation, state, origin, fingerprint, code_version, rebuild_started_at)
     VALUES ($1, $2, 'building', 'rebuild', $3, $4, now())`,
    [projection, generation, fingerprint, fingerprint.codeVersion],
  );
  return generation;
}

/** A building generation starts over (from scratch or with other code): new fingerprint, not caught up. */
export async function restartBuildingGeneration(tx: pg.PoolClient, projection: string, generation: number, fingerprint: ProjectionFingerprint): Promise<void> {
  await tx.query(
    `UPDATE projection_generations SET fingerprint = $3, code_version = $4, rebuild_started_at = now(), caught_up_at = NULL
     WHERE projection = $1 AND generation = $2`,
    [projection, generation, fingerprint, fingerprint.codeVersion],
  );
}

export async function markRebuildStarted(db: pg.Pool | pg.PoolClient, projection: string, generation: number): Promise<void> {
  await db.query('UPDATE projection_generations SET rebuild_started_at = now() WHERE projection = $1 AND generation = $2', [projection, generation]);
}

export async function markCaughtUp(db: pg.Pool | pg.PoolClient, projection: string, generation: number): Promise<void> {
  await db.query('UPDATE projection_generations SET caught_up_at = COALESCE(caught_up_at, now()) WHERE projection = $1 AND generation = $2', [projection, generation]);
}

/** Within the caller's locked transaction: the live generation becomes retired, `generation` becomes live. */
export async function recordSwitch(tx: pg.PoolClient, projection: string, generation: number): Promise<void> {
  await tx.query(`UPDATE projection_generations SET state = 'retired', retired_at = now() WHERE projection = $1 AND state = 'live'`, [projection]);
  await tx.query(
    `UPDATE projection_generations SET state = 'live', live_since = now(), retired_at = NULL, caught_up_at = COALESCE(caught_up_at, now())
     WHERE projection = $1 AND generation = $2`,
    [projection, generation],
  );
}

export async function recordDropped(tx: pg.PoolClient, projection: string, generation: number): Promise<void> {
  await tx.query(`UPDATE projection_generations SET state = 'dropped', dropped_at = now() WHERE projection = $1 AND generation = $2`, [projection, generation]);
}

/** Retired generations whose grace period has passed. */
export async function expiredRetiredGenerations(pool: pg.Pool, projections: readonly string[], graceMs: number): Promise<GenerationRow[]> {
  const { rows } = await pool.query<GenerationRow>(
    `SELECT ${columns} FROM projection_generations
      WHERE state = 'retired' AND projection = ANY($1) AND retired_at < now() - make_interval(secs => $2::double precision / 1000)
      ORDER BY projection, generation`,
    [projections, graceMs],
  );
  return rows;
}
