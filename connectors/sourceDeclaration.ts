// A source is a database whose outbox Debezium streams: one declaration per source, one file
// each (connectors/sources/<source>.json), so adding a source is adding a file. This reads and
// checks the declarations, alone and together; rendering them is sourceConnector.ts's.
// Every problem names its file and field, and all of them are reported at once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceDeclarationInvalid, type DeclarationProblem } from '../lib/errors.ts';
import { AGGREGATE_TYPES, type AggregateType } from '../schemas/eventCatalog.ts';

export const sourcesDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sources');

export interface SourceDeclaration {
  /** The file it was read from, as given to the parser (relative to the repository for messages). */
  readonly file: string;
  readonly source: string;
  readonly connector: string;
  /** A `${VAR}` placeholder naming the database in the configuration, e.g. `${OUTFLOW_PG_WRITE_DB}`. */
  readonly database: string;
  readonly outboxTable: string;
  readonly heartbeat: { readonly table: string; readonly intervalMs: number };
  readonly slot: string;
  readonly publication: string;
  readonly topicPrefix: string;
  readonly aggregates: readonly AggregateType[];
  /** Further Debezium settings for this source only; they may not set what a field above sets. */
  readonly settings: Readonly<Record<string, string>>;
}

const FIELDS = ['source', 'comment', 'connector', 'database', 'outboxTable', 'heartbeat', 'slot', 'publication', 'topicPrefix', 'aggregates', 'settings'];
const SOURCE_NAME = /^[a-z][a-z0-9-]*$/;
/** Postgres names outflow writes into SQL and Debezium settings: lower case, unquoted. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const QUALIFIED_TABLE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;
const TOPIC_PREFIX = /^[a-zA-Z0-9_-]+$/;
const PLACEHOLDER = /^\$\{[A-Z][A-Z0-9_]*\}$/;

/** The connector settings the template derives from a declared field: `settings` may not set them. */
export const DERIVED_SETTINGS: Readonly<Record<string, string>> = {
  'database.dbname': 'database',
  'topic.prefix': 'topicPrefix',
  'slot.name': 'slot',
  'publication.name': 'publication',
  'table.include.list': 'outboxTable and heartbeat.table',
  'heartbeat.interval.ms': 'heartbeat.intervalMs',
  'heartbeat.action.query': 'heartbeat.table',
  'predicates.isOutbox.pattern': 'topicPrefix and outboxTable',
  'predicates.isHeartbeatTable.pattern': 'topicPrefix and heartbeat.table',
  'transforms.heartbeatRowsToHeartbeatTopic.replacement': 'topicPrefix',
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses one declaration; throws SourceDeclarationInvalid listing every problem of the file. */
export function parseSourceDeclaration(text: string, file: string): SourceDeclaration {
  const problems: DeclarationProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ file, field, message });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SourceDeclarationInvalid([{ file, field: '(file)', message: `is not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  if (!isRecord(parsed)) throw new SourceDeclarationInvalid([{ file, field: '(file)', message: 'must be a JSON object' }]);
  for (const field of Object.keys(parsed).filter((f) => !FIELDS.includes(f))) problem(field, `is not a field of a source declaration (known: ${FIELDS.join(', ')})`);

  const text_ = (field: string, pattern: RegExp, shape: string, value: unknown = parsed[field]): string => {
    if (value === undefined) problem(field, 'is required');
    else if (typeof value !== 'string' || !pattern.test(value)) problem(field, `must be ${shape}, not ${JSON.stringify(value)}`);
    return typeof value === 'string' ? value : '';
  };
  const source = text_('source', SOURCE_NAME, 'a lower-case name (letters, digits, -)');
  const expected = path.basename(file, '.json');
  if (source && source !== expected) problem('source', `is ${JSON.stringify(source)} but the file is named ${expected}.json: the file is named after its source`);
  const connector = text_('connector', SOURCE_NAME, 'a lower-case connector name (letters, digits, -)');
  const database = text_('database', PLACEHOLDER, 'a ${VAR} placeholder naming the database in the configuration, e.g. ${OUTFLOW_PG_WRITE_DB}');
  const outboxTable = text_('outboxTable', QUALIFIED_TABLE, 'a schema-qualified lower-case table, e.g. write.outbox');
  const slot = text_('slot', IDENTIFIER, 'a replication slot name (lower-case letters, digits, _)');
  const publication = text_('publication', IDENTIFIER, 'a publication name (lower-case letters, digits, _)');
  const topicPrefix = text_('topicPrefix', TOPIC_PREFIX, 'a Debezium topic prefix (letters, digits, _, -)');

  let heartbeat = { table: '', intervalMs: 0 };
  if (!isRecord(parsed.heartbeat)) problem('heartbeat', parsed.heartbeat === undefined ? 'is required' : 'must be {"table": "schema.table", "intervalMs": number}');
  else {
    for (const field of Object.keys(parsed.heartbeat).filter((f) => f !== 'table' && f !== 'intervalMs')) problem(`heartbeat.${field}`, 'is not a field of heartbeat (known: table, intervalMs)');
    const table = text_('heartbeat.table', QUALIFIED_TABLE, 'a schema-qualified lower-case table, e.g. write.cdc_heartbeat', parsed.heartbeat.table);
    const intervalMs = parsed.heartbeat.intervalMs;
    if (!Number.isInteger(intervalMs) || (intervalMs as number) < 1000) problem('heartbeat.intervalMs', `must be a whole number of milliseconds, at least 1000, not ${JSON.stringify(intervalMs)}`);
    heartbeat = { table, intervalMs: Number(intervalMs) };
    if (table && table === outboxTable) problem('heartbeat.table', 'must not be the outbox table');
  }

  const aggregates: AggregateType[] = [];
  if (!Array.isArray(parsed.aggregates) || parsed.aggregates.length === 0) problem('aggregates', 'must be a non-empty list of aggregate types');
  else {
    for (const aggregate of parsed.aggregates) {
      if (!(AGGREGATE_TYPES as readonly unknown[]).includes(aggregate)) problem('aggregates', `names ${JSON.stringify(aggregate)}, which is not an aggregate type of schemas/eventCatalog.ts (${AGGREGATE_TYPES.join(', ')})`);
      else if (aggregates.includes(aggregate as AggregateType)) problem('aggregates', `names ${aggregate} twice`);
      else aggregates.push(aggregate as AggregateType);
    }
  }

  const settings: Record<string, string> = {};
  if (parsed.settings !== undefined) {
    if (!isRecord(parsed.settings)) problem('settings', 'must be an object of Debezium settings with string values');
    else {
      for (const [key, value] of Object.entries(parsed.settings)) {
        if (typeof value !== 'string') problem(`settings.${key}`, `must be a string, not ${JSON.stringify(value)}`);
        else if (Object.hasOwn(DERIVED_SETTINGS, key)) problem(`settings.${key}`, `is set by ${DERIVED_SETTINGS[key]}: change that field instead`);
        else if (key === 'connector.class' || key === 'name') problem(`settings.${key}`, 'is the same for every source (connectors/outbox-source-template.json)');
        else settings[key] = value;
      }
    }
  }

  if (problems.length) throw new SourceDeclarationInvalid(problems);
  return Object.freeze({ file, source, connector, database, outboxTable, heartbeat: Object.freeze(heartbeat), slot, publication, topicPrefix, aggregates: Object.freeze(aggregates), settings: Object.freeze(settings) });
}

/**
 * Checks the declarations together: names, connectors, slots and topic prefixes are unique,
 * and every aggregate type of the event catalog is published by exactly one source.
 */
export function checkSources(declarations: readonly SourceDeclaration[]): void {
  const problems: DeclarationProblem[] = [];
  // Publications are per database, so two sources may share a name; slots are per server.
  for (const field of ['source', 'connector', 'slot', 'topicPrefix'] as const) {
    const seen = new Map<string, string>();
    for (const d of declarations) {
      const first = seen.get(d[field]);
      if (first) problems.push({ file: d.file, field, message: `${JSON.stringify(d[field])} is already declared by ${first}` });
      else seen.set(d[field], d.file);
    }
  }
  for (const aggregate of AGGREGATE_TYPES) {
    const publishers = declarations.filter((d) => d.aggregates.includes(aggregate));
    if (publishers.length === 0) problems.push({ file: declarations.length ? `${path.dirname(declarations[0]!.file)}/` : 'connectors/sources/', field: 'aggregates', message: `no source publishes ${aggregate}, an aggregate type of schemas/eventCatalog.ts: add it to the source whose outbox writes it` });
    for (const d of publishers.slice(1)) problems.push({ file: d.file, field: 'aggregates', message: `${aggregate} is already published by ${publishers[0]!.file}: one source per aggregate type, or two connectors would write one topic` });
  }
  if (problems.length) throw new SourceDeclarationInvalid(problems);
}

/** Every declaration of `directory`, sorted by name and checked alone and together. */
export function loadSourceDeclarations(directory: string = sourcesDirectory, relativeTo: string = path.resolve(directory, '..', '..')): SourceDeclaration[] {
  const files = fs.readdirSync(directory).filter((f) => f.endsWith('.json')).sort();
  const problems: DeclarationProblem[] = [];
  const declarations: SourceDeclaration[] = [];
  for (const name of files) {
    const file = path.relative(relativeTo, path.join(directory, name));
    try {
      declarations.push(parseSourceDeclaration(fs.readFileSync(path.join(directory, name), 'utf8'), file));
    } catch (error) {
      if (!(error instanceof SourceDeclarationInvalid)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new SourceDeclarationInvalid(problems);
  checkSources(declarations);
  return declarations;
}
