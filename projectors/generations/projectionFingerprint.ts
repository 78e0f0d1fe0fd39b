// What built a generation: the projection's code version, the event types it reads, its
// topics, and a hash of the Avro schema of each event type. A generation whose recorded
// fingerprint differs from the running code's was built by other code or from other
// schemas: `outflow projections status` says "rebuild required" and why.
import crypto from 'node:crypto';
import { eventSchemas } from '../../schemas/avroSchemas.ts';
import type { ProjectionDefinition } from '../projection.ts';
import { topicsOf } from '../projection.ts';

export interface ProjectionFingerprint {
  codeVersion: number;
  eventTypes: string[];
  topics: string[];
  /** Event type → sha256 of the schema's compact JSON text (what the registry holds). */
  schemas: Record<string, string>;
}

export function fingerprintOf(definition: ProjectionDefinition): ProjectionFingerprint {
  const all = eventSchemas();
  const eventTypes = [...definition.eventTypes].sort();
  const schemas = Object.fromEntries(eventTypes.map((type) => [type, crypto.createHash('sha256').update(all[type].text).digest('hex')]));
  return { codeVersion: definition.version, eventTypes, topics: topicsOf(definition), schemas };
}

/** Why a generation built with `recorded` is not what the running code would build; empty when it is. */
export function fingerprintChanges(recorded: ProjectionFingerprint | null, running: ProjectionFingerprint): string[] {
  if (!recorded) return ['the generation has no recorded fingerprint'];
  const reasons: string[] = [];
  if (recorded.codeVersion !== running.codeVersion) reasons.push(`code version ${recorded.codeVersion} → ${running.codeVersion}`);
  const before = new Set(recorded.eventTypes);
  const after = new Set(running.eventTypes);
  const added = running.eventTypes.filter((type) => !before.has(type));
  const removed = recorded.eventTypes.filter((type) => !after.has(type));
  if (added.length) reasons.push(`now also reads ${added.join(', ')}`);
  if (removed.length) reasons.push(`no longer reads ${removed.join(', ')}`);
  const changed = running.eventTypes.filter((type) => before.has(type) && recorded.schemas[type] !== running.schemas[type]);
  if (changed.length) reasons.push(`schema of ${changed.join(', ')} changed`);
  if (recorded.topics.join(',') !== running.topics.join(',')) reasons.push(`topics ${recorded.topics.join(', ')} → ${running.topics.join(', ')}`);
  return reasons;
}
