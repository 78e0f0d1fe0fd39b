// What `outflow projections list|status` show for a projection: its generations from the
// registry, the pointer readers follow, the live generation's lag, a rebuild in progress, and
// whether the running code would build something else than the live generation holds.
import type { Admin } from 'kafkajs';
import type { ProjectionDefinition, StoreConnections } from '../projection.ts';
import { topicsOf } from '../projection.ts';
import { listGenerations, type GenerationRow } from './generationRegistry.ts';
import { fingerprintChanges, fingerprintOf } from './projectionFingerprint.ts';
import { currentLag } from './rebuildProgress.ts';
import { runningRebuilds } from './rebuildLock.ts';

export interface ProjectionStatus {
  projection: string;
  /** The running code's version of the projection. */
  codeVersion: number;
  live: number | null;
  /** Code version the live generation was built with. */
  liveCodeVersion: number | null;
  /** The generation the stores' reader pointer names (equal to `live` unless a switch failed half-way). */
  pointer: number | null;
  /** live, rebuilding (a rebuild runs), building (an interrupted rebuild left it), or new (no generation yet). */
  state: 'live' | 'rebuilding' | 'building' | 'new';
  building: number | null;
  /** Messages the live generation is behind the topics' ends; null when Kafka was not asked. */
  lag: number | null;
  /** Why the live generation should be rebuilt; empty when the running code matches it. */
  rebuildRequired: string[];
  generations: GenerationRow[];
}

export async function projectionStatus(context: StoreConnections, definition: ProjectionDefinition, admin?: Admin): Promise<ProjectionStatus> {
  const generations = await listGenerations(context.readPostgres, definition.name);
  const live = generations.find((row) => row.state === 'live');
  const building = generations.find((row) => row.state === 'building');
  const running = (await runningRebuilds(context.readPostgres)).some((r) => r.projection === definition.name);
  const pointer = (await definition.liveGeneration(context)) ?? null;
  const lag = live && admin ? await currentLag(admin, definition.createStore(context, live.generation), topicsOf(definition)) : null;
  return {
    projection: definition.name,
    codeVersion: definition.version,
    live: live?.generation ?? null,
    liveCodeVersion: live?.codeVersion ?? null,
    pointer,
    state: building ? (running ? 'rebuilding' : 'building') : live ? 'live' : 'new',
    building: building?.generation ?? null,
    lag,
    rebuildRequired: live ? fingerprintChanges(live.fingerprint, fingerprintOf(definition)) : [],
    generations,
  };
}
