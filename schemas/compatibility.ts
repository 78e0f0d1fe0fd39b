// Can the local schemas be registered? BACKWARD: the new (local) schema must read every event
// already in the log. Topics keep events forever and rebuilds replay from offset 0, so the
// local check reads against EVERY registered version, not only the latest one.
//
// Two sources agree before a change passes: the registry's own check (against the latest
// version, under the subject's configured level) and a local avsc check that can say which
// field is at fault, which the registry's answer does not. One rule goes beyond Avro: a field
// without a default may never be removed. Avro (and the registry) call that BACKWARD
// compatible, since the new reader just skips it, but projections of older code still
// running during a deploy, and any FORWARD reader, would fail on events that lack it.
import path from 'node:path';
import avro from 'avsc';
import type { Config } from '../lib/config.ts';
import { EVENT_SCHEMA_DIR, loadEventSchemas, loadSchemaDir, parseAvroSchemaText, type LocalSchema } from './avroSchemas.ts';
import { RegistryClient, type RegisteredSchema } from './registryClient.ts';

export type CompatibilityStatus = 'new' | 'unchanged' | 'compatible' | 'incompatible';

export interface SubjectCompatibility {
  subject: string;
  file: string;
  status: CompatibilityStatus;
  problems: string[];
  /** Registered versions of the subject (empty when new). */
  versions: number[];
  /** The registered version equal to the local schema (status 'unchanged'). */
  match?: { version: number; id: number };
}

export interface CheckOptions {
  /** Directory of .avsc files; defaults to the checked-in event schemas. */
  dir?: string;
  registry?: RegistryClient;
}

/** The schemas of a directory; the default one must match the event catalog exactly. */
export function loadSchemasToCheck(dir: string = EVENT_SCHEMA_DIR): LocalSchema[] {
  return path.resolve(dir) === EVENT_SCHEMA_DIR ? Object.values(loadEventSchemas(dir)) : loadSchemaDir(dir);
}

export async function checkCompatibility(config: Config, { dir, registry = new RegistryClient(config.registry.url) }: CheckOptions = {}): Promise<SubjectCompatibility[]> {
  return checkSchemas(loadSchemasToCheck(dir), registry);
}

/** One result per schema, in the same order. */
export async function checkSchemas(schemas: readonly LocalSchema[], registry: RegistryClient): Promise<SubjectCompatibility[]> {
  return Promise.all(schemas.map((schema) => checkSchema(schema, registry)));
}

async function checkSchema(local: LocalSchema, registry: RegistryClient): Promise<SubjectCompatibility> {
  const base = { subject: local.subject, file: local.file };
  const versions = await registry.versions(local.subject);
  if (!versions?.length) return { ...base, status: 'new', problems: [], versions: [] };

  const registered = await Promise.all(versions.map((version) => registry.version(local.subject, version)));
  const parsed = registered.map((r) => ({ ...r, type: parseAvroSchemaText(r.schema) }));
  const same = parsed.find((r) => r.type.equals(local.type));
  if (same) return { ...base, status: 'unchanged', problems: [], versions, match: { version: same.version, id: same.id } };

  const problems = problemsAgainstVersions(local.type, parsed);
  const latest = registered[registered.length - 1] as RegisteredSchema;
  const latestHasLocalProblems = problems.some((p) => p.versions.includes(latest.version));
  if (!(await registry.isCompatibleWithLatest(local.subject, local.text)) && !latestHasLocalProblems) {
    problems.push({ message: `the registry rejects it under the subject's compatibility level`, versions: [latest.version] });
  }
  return {
    ...base,
    status: problems.length ? 'incompatible' : 'compatible',
    problems: problems.map((p) => `${p.message} (against version ${p.versions.join(', ')})`),
    versions,
  };
}

/** The same problem found against several versions is reported once, with those versions. */
function problemsAgainstVersions(reader: avro.Type, writers: readonly { version: number; type: avro.Type }[]) {
  const byMessage = new Map<string, number[]>();
  for (const writer of writers) {
    for (const message of schemaEvolutionProblems(reader, writer.type)) {
      byMessage.set(message, [...(byMessage.get(message) ?? []), writer.version]);
    }
  }
  return [...byMessage].map(([message, versions]) => ({ message, versions }));
}

/**
 * Why `reader` (the new schema) cannot take the place of `writer` (a registered one), in
 * plain words naming each field; empty when it can.
 */
export function schemaEvolutionProblems(reader: avro.Type, writer: avro.Type): string[] {
  const problems: string[] = [];
  diffTypes(reader, writer, '', problems);
  if (!problems.length) {
    // A case the field diff does not model (a renamed nested record, say): avsc still decides.
    try {
      reader.createResolver(writer);
    } catch (error) {
      problems.push(`the new schema cannot read the old one: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

function diffTypes(reader: avro.Type, writer: avro.Type, at: string, problems: string[]): void {
  if (reader instanceof avro.types.RecordType && writer instanceof avro.types.RecordType) {
    diffRecords(reader, writer, at, problems);
  } else if (reader instanceof avro.types.ArrayType && writer instanceof avro.types.ArrayType) {
    diffTypes(reader.itemsType, writer.itemsType, `${at}[]`, problems);
  } else if (reader instanceof avro.types.MapType && writer instanceof avro.types.MapType) {
    diffTypes(reader.valuesType as avro.Type, writer.valuesType as avro.Type, `${at}{}`, problems);
  } else if (isUnion(reader) && isUnion(writer)) {
    diffUnions(reader, writer, at, problems);
  } else if (!canRead(reader, writer)) {
    problems.push(`field \`${at}\` changed type from ${describe(writer)} to ${describe(reader)}, which cannot read the old values`);
  }
}

function diffRecords(reader: avro.types.RecordType, writer: avro.types.RecordType, at: string, problems: string[]): void {
  const readerFieldOf = (name: string) => reader.fields.find((f) => f.name === name || (f.aliases ?? []).includes(name));
  for (const old of writer.fields) {
    const current = readerFieldOf(old.name);
    if (current) {
      diffTypes(current.type, old.type, join(at, current.name), problems);
    } else if (old.defaultValue() === undefined) {
      problems.push(`field \`${join(at, old.name)}\` was removed, but it has no default: readers that still expect it could not read new events`);
    }
  }
  for (const added of reader.fields) {
    const known = writer.fields.some((old) => old.name === added.name || (added.aliases ?? []).includes(old.name));
    if (!known && added.defaultValue() === undefined) {
      problems.push(`new field \`${join(at, added.name)}\` has no default, so events written before it cannot be read; make it optional (["null", ...] with default null) or give it a default`);
    }
  }
}

function diffUnions(reader: UnionType, writer: UnionType, at: string, problems: string[]): void {
  for (const branch of writer.types) {
    const sameBranch = reader.types.find((candidate) => candidate.branchName === branch.branchName);
    if (sameBranch) diffTypes(sameBranch, branch, at, problems);
    else if (!reader.types.some((candidate) => canRead(candidate, branch))) {
      problems.push(`field \`${at}\` no longer accepts ${describe(branch)} (now ${describe(reader)}), which old events may hold`);
    }
  }
}

type UnionType = avro.types.UnwrappedUnionType | avro.types.WrappedUnionType;

function isUnion(type: avro.Type): type is UnionType {
  return type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType;
}

function canRead(reader: avro.Type, writer: avro.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    // createResolver reports "cannot read" only by throwing; the answer is the boolean.
    return false;
  }
}

function join(at: string, name: string): string {
  return at ? `${at}.${name}` : name;
}

function describe(type: avro.Type): string {
  if (isUnion(type)) return type.types.map(describe).join(' | ');
  if (type instanceof avro.types.ArrayType) return `array<${describe(type.itemsType)}>`;
  if (type instanceof avro.types.MapType) return `map<${describe(type.valuesType as avro.Type)}>`;
  return type.name ? type.name.slice(type.name.lastIndexOf('.') + 1) : type.typeName;
}
