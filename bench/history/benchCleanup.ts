// Removes what a benchmark projection left: every generation's data, checkpoints, parked keys and
// consumer group, and its registry rows.
import type { ProjectionDefinition } from '../../projectors/projection.ts';
import { dropGenerationData } from '../../projectors/generations/generationSwitch.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import type { BenchContext } from '../benchContext.ts';

export async function dropBenchProjection(context: BenchContext, definition: ProjectionDefinition, generations: readonly number[]): Promise<void> {
  const stores = openStoreConnections({ ...context.config, logLevel: 'silent' });
  try {
    for (const generation of generations) await dropGenerationData(stores.connections, definition, generation, context.connections.admin);
    const registry = await stores.connections.readPostgres.query<{ exists: boolean }>(`SELECT to_regclass('projection_generations') IS NOT NULL AS exists`);
    if (registry.rows[0]?.exists) await stores.connections.readPostgres.query('DELETE FROM projection_generations WHERE projection = $1', [definition.name]);
  } finally {
    await stores.close();
  }
}
