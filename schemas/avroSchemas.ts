// The local .avsc files, parsed once. These are the contract: the command API writes with
// them and projectors read every older version into them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { SchemaFileInvalid } from '../lib/errors.ts';
import { EVENT_TYPES, eventCatalog, type EventType } from './eventCatalog.ts';

export const EVENT_SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'avro');

// Unwrapped unions give plain `T | null` values (no `{ string: ... }` wrappers), and
// logical types stay their underlying JS values: timestamp-millis is epoch ms as a number.
// Fresh options on every call: avsc writes its name registry into the options object.

/** Avro schema JSON as written in .avsc files (only the parts outflow reads). */
export type AvroSchemaJson = string | AvroSchemaJson[] | AvroSchemaObject;
export interface AvroSchemaObject {
  type: AvroSchemaJson;
  name?: string;
  namespace?: string;
  doc?: string;
  fields?: AvroFieldJson[];
  items?: AvroSchemaJson;
  values?: AvroSchemaJson;
  symbols?: string[];
  logicalType?: string;
}
export interface AvroFieldJson {
  name: string;
  type: AvroSchemaJson;
  doc?: string;
  default?: unknown;
  aliases?: string[];
}

export interface LocalSchema {
  /** Registry subject under the record-name strategy: the record's full name. */
  subject: string;
  file: string;
  /** The schema as parsed JSON, docs included (the generator reads them). */
  json: AvroSchemaObject;
  /** Compact JSON text: what is sent to the registry. */
  text: string;
  type: avro.types.RecordType;
}

export function parseAvroType(schema: AvroSchemaJson): avro.Type {
  return avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0], { wrapUnions: false });
}

/** A schema as the registry returns it: JSON text. */
export function parseAvroSchemaText(text: string): avro.Type {
  return parseAvroType(JSON.parse(text) as AvroSchemaJson);
}

export function loadSchemaFile(file: string): LocalSchema {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaFileInvalid(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (!json || typeof json !== 'object' || (json as { type?: unknown }).type !== 'record') {
    throw new SchemaFileInvalid(file, 'the top-level schema must be an Avro record');
  }
  let type: avro.Type;
  try {
    type = parseAvroType(json as AvroSchemaJson);
  } catch (error) {
    throw new SchemaFileInvalid(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
  return {
    subject: type.name ?? '',
    file,
    json: json as AvroSchemaObject,
    text: JSON.stringify(json),
    type: type as avro.types.RecordType,
  };
}

/** Every `*.avsc` of a directory, in file-name order. */
export function loadSchemaDir(dir: string): LocalSchema[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.avsc')).sort();
  } catch (error) {
    throw new SchemaFileInvalid(dir, 'cannot list the schema directory', { cause: error });
  }
  if (!names.length) throw new SchemaFileInvalid(dir, 'holds no .avsc files');
  return names.map((name) => loadSchemaFile(path.join(dir, name)));
}

/** The catalog's schemas keyed by event type; each file must declare the catalog's subject. */
export function loadEventSchemas(dir: string = EVENT_SCHEMA_DIR): Readonly<Record<EventType, LocalSchema>> {
  const byType: Partial<Record<EventType, LocalSchema>> = {};
  for (const eventType of EVENT_TYPES) {
    const entry = eventCatalog[eventType];
    const schema = loadSchemaFile(path.join(dir, entry.schemaFile));
    if (schema.subject !== entry.subject) {
      throw new SchemaFileInvalid(schema.file, `declares ${schema.subject}, the catalog expects ${entry.subject}`);
    }
    byType[eventType] = schema;
  }
  return Object.freeze(byType as Record<EventType, LocalSchema>);
}

let cached: Readonly<Record<EventType, LocalSchema>> | undefined;

/** The checked-in event schemas, parsed on first use. */
export function eventSchemas(): Readonly<Record<EventType, LocalSchema>> {
  cached ??= loadEventSchemas();
  return cached;
}
