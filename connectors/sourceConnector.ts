// A declared source rendered into the connector Kafka Connect runs: the shared outbox template
// (connectors/outbox-source-template.json: every Debezium setting that is the same for all
// sources, written once) filled with the configuration's ${OUTFLOW_…} values and the
// declaration's ${SOURCE_…} values, then the declaration's own extra settings. Everything that
// acts on one source (apply, status, recover, render) starts here, by the source's name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../lib/config.ts';
import { UnknownSource } from '../lib/errors.ts';
import { topicOf, type AggregateType } from '../schemas/eventCatalog.ts';
import { fillConnectorTemplate, renderConnectorTemplate, templateVariables, type ConnectorDefinition } from './connectorConfig.ts';
import { loadSourceDeclarations, sourcesDirectory, type SourceDeclaration } from './sourceDeclaration.ts';

export const sourceTemplateFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'outbox-source-template.json');

/** The source of the command API's write database: the one verify compares and the tests drive. */
export const COMMAND_API_SOURCE = 'command-api';

export interface Source {
  readonly name: string;
  /** Its declaration, relative to the repository. */
  readonly file: string;
  readonly connector: ConnectorDefinition;
  /** The database's name, from the configuration. */
  readonly database: string;
  readonly outboxTable: string;
  readonly heartbeatTable: string;
  readonly slot: string;
  readonly publication: string;
  readonly topicPrefix: string;
  readonly heartbeatTopic: string;
  readonly aggregates: readonly AggregateType[];
  /** Its aggregates' event topics (events.<aggregate type>). */
  readonly topics: readonly string[];
}

const regexLiteral = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ${SOURCE_…} values of the shared template, derived from a declaration. */
export function sourceVariables(declaration: SourceDeclaration, database: string): Readonly<Record<string, string>> {
  const { connector, outboxTable, heartbeat, slot, publication, topicPrefix } = declaration;
  return {
    SOURCE_CONNECTOR: connector,
    SOURCE_DATABASE: database,
    SOURCE_TOPIC_PREFIX: topicPrefix,
    SOURCE_SLOT: slot,
    SOURCE_PUBLICATION: publication,
    // Regular expressions: the dots are escaped so nothing else matches.
    SOURCE_TABLE_INCLUDE_LIST: [outboxTable, heartbeat.table].map(regexLiteral).join(','),
    SOURCE_HEARTBEAT_INTERVAL_MS: String(heartbeat.intervalMs),
    SOURCE_HEARTBEAT_TABLE: heartbeat.table,
    // Debezium names a table's change topic <topic.prefix>.<schema>.<table>.
    SOURCE_OUTBOX_TOPIC_PATTERN: regexLiteral(`${topicPrefix}.${outboxTable}`),
    SOURCE_HEARTBEAT_TABLE_TOPIC_PATTERN: regexLiteral(`${topicPrefix}.${heartbeat.table}`),
    SOURCE_HEARTBEAT_TOPIC: `__debezium-heartbeat.${topicPrefix}`,
  };
}

/** Renders one declaration with the configuration; throws ConnectorTemplateError naming an unknown placeholder and its file. */
export function renderSource(declaration: SourceDeclaration, config: Config, templateText: string = fs.readFileSync(sourceTemplateFile, 'utf8')): Source {
  const configured = templateVariables(config);
  const database = fillConnectorTemplate({ name: declaration.database, config: {} }, configured, `${declaration.file} (database)`).name;
  const variables = { ...configured, ...sourceVariables(declaration, database) };
  const shared = renderConnectorTemplate(templateText, variables, path.relative(config.repoRoot, sourceTemplateFile));
  const own = fillConnectorTemplate({ name: shared.name, config: declaration.settings }, configured, `${declaration.file} (settings)`);
  const connector: ConnectorDefinition = Object.freeze({ name: shared.name, config: Object.freeze({ ...shared.config, ...own.config }) });
  return Object.freeze({
    name: declaration.source,
    file: declaration.file,
    connector,
    database,
    outboxTable: declaration.outboxTable,
    heartbeatTable: declaration.heartbeat.table,
    slot: declaration.slot,
    publication: declaration.publication,
    topicPrefix: declaration.topicPrefix,
    heartbeatTopic: variables.SOURCE_HEARTBEAT_TOPIC!,
    aggregates: declaration.aggregates,
    topics: Object.freeze(declaration.aggregates.map(topicOf)),
  });
}

/** Every declared source (connectors/sources/*.json), rendered, in name order. */
export function declaredSources(config: Config, directory: string = sourcesDirectory): Source[] {
  const template = fs.readFileSync(sourceTemplateFile, 'utf8');
  return loadSourceDeclarations(directory, config.repoRoot).map((declaration) => renderSource(declaration, config, template));
}

/** The declared source of that name; throws UnknownSource listing the declared ones (also when no name is given). */
export function sourceNamed(config: Config, name: string | undefined, directory: string = sourcesDirectory): Source {
  const sources = declaredSources(config, directory);
  const source = sources.find((s) => s.name === name);
  if (!source) throw new UnknownSource(name, sources.map((s) => s.name));
  return source;
}

/** The connector a named source runs, as Kafka Connect takes it. */
export function sourceConnector(config: Config, name: string): ConnectorDefinition {
  return sourceNamed(config, name).connector;
}
