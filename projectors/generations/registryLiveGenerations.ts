// The generation registry as the live generations a projector worker follows.
import type { LiveGenerations } from '../runtime/liveGenerations.ts';
import { ensureGenerationRegistry, ensureLiveGeneration, expiredRetiredGenerations, liveGenerations } from './generationRegistry.ts';
import { dropGeneration } from './generationSwitch.ts';
import { fingerprintOf } from './projectionFingerprint.ts';

export const registryLiveGenerations: LiveGenerations = {
  prepare: ensureGenerationRegistry,
  ensureLive: (pool, definition, pointer) => ensureLiveGeneration(pool, definition.name, pointer, fingerprintOf(definition)),
  live: liveGenerations,
  expiredRetired: expiredRetiredGenerations,
  drop: dropGeneration,
};
