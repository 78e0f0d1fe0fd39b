// Registering the local schemas: only after the compatibility check passes for every subject,
// so a release never lands half its schemas.
import type { Config } from '../lib/config.ts';
import { SchemaIncompatible } from '../lib/errors.ts';
import { checkSchemas, loadSchemasToCheck, type CheckOptions, type SubjectCompatibility } from './compatibility.ts';
import { RegistryClient } from './registryClient.ts';

export interface RegistrationResult {
  subject: string;
  version: number;
  id: number;
  /** What happened: a first version, a further version, or nothing (already registered). */
  action: 'registered' | 'new version' | 'unchanged';
}

export interface RegistrationReport {
  checks: SubjectCompatibility[];
  registered: RegistrationResult[];
}

/** Throws SchemaIncompatible (registering nothing) when any subject fails the check. */
export async function registerSchemas(config: Config, { dir, registry = new RegistryClient(config.registry.url) }: CheckOptions = {}): Promise<RegistrationReport> {
  const schemas = loadSchemasToCheck(dir);
  const checks = await checkSchemas(schemas, registry);
  const incompatible = checks.filter((check) => check.status === 'incompatible');
  if (incompatible.length) throw new SchemaIncompatible(incompatible);

  const registered: RegistrationResult[] = [];
  for (const [index, schema] of schemas.entries()) {
    const check = checks[index] as SubjectCompatibility;
    // Set on every run, unchanged ones too: a subject created by hand may lack the level.
    await registry.setCompatibility(schema.subject, 'BACKWARD');
    if (check.status === 'unchanged' && check.match) {
      registered.push({ subject: schema.subject, ...check.match, action: 'unchanged' });
      continue;
    }
    const id = await registry.register(schema.subject, schema.text);
    const found = await registry.lookup(schema.subject, schema.text);
    registered.push({
      subject: schema.subject,
      version: found?.version ?? 0,
      id,
      action: check.status === 'new' ? 'registered' : 'new version',
    });
  }
  return { checks, registered };
}

/** Registers the checked-in event schemas (what `outflow schemas register` does by default). */
export async function registerCatalogSchemas(config: Config): Promise<RegistrationReport> {
  return registerSchemas(config);
}

export interface SubjectListing {
  subject: string;
  /** The subject's own compatibility level, or null when it inherits the global one. */
  compatibility: string | null;
  versions: { version: number; id: number }[];
}

export async function listSchemas(config: Config, { registry = new RegistryClient(config.registry.url) }: { registry?: RegistryClient } = {}): Promise<SubjectListing[]> {
  const subjects = (await registry.subjects()).sort();
  return Promise.all(
    subjects.map(async (subject) => {
      const versions = (await registry.versions(subject)) ?? [];
      const registered = await Promise.all(versions.map((version) => registry.version(subject, version)));
      return {
        subject,
        compatibility: await registry.compatibility(subject),
        versions: registered.map(({ version, id }) => ({ version, id })),
      };
    }),
  );
}
