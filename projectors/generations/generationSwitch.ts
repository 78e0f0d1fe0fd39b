// Switching and dropping generations. A switch moves the stores' reader pointers
// (ProjectionStore.activate: one atomic step per store) and records it in the registry in the
// same locked transaction: if the pointer move fails, the registry is unchanged; live
// workers follow the registry within their follow interval. A drop deletes a generation's
// data, checkpoints, parked keys and consumer group, and is refused for the live generation.
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { GenerationRefused } from '../../lib/errors.ts';
import { consumerGroupOf, type ProjectionDefinition, type StoreConnections } from '../projection.ts';
import { listGenerations, readGeneration, recordDropped, recordSwitch, withRegistryLock, type GenerationRow } from './generationRegistry.ts';
import { runningRebuilds } from './rebuildLock.ts';

export interface SwitchOutcome {
  projection: string;
  from: number | undefined;
  to: number;
  /** False when `to` was live already. */
  switched: boolean;
}

/**
 * Makes `to` live (default: the building generation, once a rebuild found it caught up).
 * Allowed targets: a caught-up building generation, or a retired one (a roll back).
 */
export async function switchGeneration(context: StoreConnections, definition: ProjectionDefinition, to?: number): Promise<SwitchOutcome> {
  const pool = context.readPostgres;
  return withRegistryLock(pool, definition.name, async (tx) => {
    const rows = await listGenerations(tx, definition.name);
    const live = rows.find((row) => row.state === 'live');
    const target = to === undefined ? rows.find((row) => row.state === 'building') : rows.find((row) => row.generation === to);
    if (!target) {
      throw new GenerationRefused(definition.name, to, to === undefined ? 'no rebuild has built a generation to switch to; name one with --to' : 'no such generation');
    }
    if (target.state === 'live') return { projection: definition.name, from: live?.generation, to: target.generation, switched: false };
    if (target.state === 'dropped') throw new GenerationRefused(definition.name, target.generation, 'it was dropped');
    if (target.state === 'building' && !target.caughtUpAt) {
      throw new GenerationRefused(definition.name, target.generation, 'its rebuild has not caught up yet: switching now would serve a half-built read model');
    }
    await definition.createStore(context, target.generation).activate();
    await recordSwitch(tx, definition.name, target.generation);
    return { projection: definition.name, from: live?.generation, to: target.generation, switched: true };
  });
}

/** Deletes a generation that is neither live nor being rebuilt right now. */
export async function dropGeneration(context: StoreConnections, definition: ProjectionDefinition, generation: number, admin?: Admin): Promise<GenerationRow> {
  const pool = context.readPostgres;
  return withRegistryLock(pool, definition.name, async (tx) => {
    const row = await readGeneration(tx, definition.name, generation);
    if (!row) throw new GenerationRefused(definition.name, generation, 'no such generation');
    if (row.state === 'live') throw new GenerationRefused(definition.name, generation, 'it is the live generation; switch to another one first');
    if (row.state === 'dropped') throw new GenerationRefused(definition.name, generation, 'it was dropped already');
    if (row.state === 'building' && (await runningRebuilds(tx)).some((r) => r.projection === definition.name)) {
      throw new GenerationRefused(definition.name, generation, 'its rebuild is running; stop it first (Ctrl-C), then drop');
    }
    await dropGenerationData(context, definition, generation, admin);
    await recordDropped(tx, definition.name, generation);
    return { ...row, state: 'dropped', droppedAt: new Date() };
  });
}

/** The store's data and checkpoints, the generation's parked keys, and its consumer group. */
export async function dropGenerationData(context: StoreConnections, definition: ProjectionDefinition, generation: number, admin?: Admin): Promise<void> {
  await definition.createStore(context, generation).truncate();
  await deleteParkedKeys(context.readPostgres, definition.name, generation);
  // A group with members (a worker still on it) cannot be deleted; its offsets are only a fetch hint anyway.
  if (admin) await admin.deleteGroups([consumerGroupOf(definition.name, generation)]).catch(() => undefined);
}

async function deleteParkedKeys(pool: pg.Pool, projection: string, generation: number): Promise<void> {
  const exists = await pool.query<{ exists: boolean }>(`SELECT to_regclass('projector_parked_keys') IS NOT NULL AS exists`);
  if (exists.rows[0]?.exists) await pool.query('DELETE FROM projector_parked_keys WHERE projection = $1 AND generation = $2', [projection, generation]);
}
