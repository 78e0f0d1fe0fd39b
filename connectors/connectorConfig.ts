// Connector configs live as JSON in version control with ${VAR} placeholders (the shared outbox
// template, connectors/outbox-source-template.json, filled for each source by sourceConnector.ts);
// this fills them from the typed Config at apply time, so no secret is ever in a file.
// `$${x}` stands for a literal `${x}` (Debezium's own `${routedByValue}`); any other
// placeholder must be known, so a typo fails here instead of reaching Kafka Connect.
import type { Config } from '../lib/config.ts';
import { ConnectorTemplateError } from '../lib/errors.ts';

export type ConnectorSettings = Readonly<Record<string, string>>;

export interface ConnectorDefinition {
  name: string;
  config: ConnectorSettings;
}

interface ConnectorTemplate {
  name: string;
  config: Record<string, string>;
}

/** The values a template may refer to, named like the environment variables they come from. */
export function templateVariables(config: Config): Readonly<Record<string, string>> {
  const { postgres, events, connect } = config;
  return {
    OUTFLOW_PG_HOST: postgres.host,
    OUTFLOW_PG_PORT: String(postgres.port),
    OUTFLOW_PG_WRITE_DB: postgres.writeDatabase,
    OUTFLOW_PG_PAYMENTS_DB: postgres.paymentsDatabase,
    OUTFLOW_PG_CDC_USER: postgres.cdcUser,
    // A reference Connect resolves on its own host (FileConfigProvider): the password never
    // travels in the connector config, so Connect's REST API and config topic do not show it.
    OUTFLOW_PG_CDC_PASSWORD_REF: `\${file:${connect.secretsFile}:cdc.password}`,
    OUTFLOW_EVENT_PARTITIONS: String(events.partitions),
  };
}

const placeholder = /\$(\$?)\{([^}]*)\}/g;

function parseTemplate(text: string, file: string): ConnectorTemplate {
  const parsed: unknown = JSON.parse(text);
  const candidate = parsed as Partial<ConnectorTemplate> | null;
  const config = candidate?.config;
  if (typeof candidate?.name !== 'string' || !config || typeof config !== 'object' || Object.values(config).some((v) => typeof v !== 'string')) {
    throw new ConnectorTemplateError(file, [], 'must be {"name": string, "config": {key: string value}}');
  }
  return { name: candidate.name, config };
}

/** Renders a connector template; throws ConnectorTemplateError naming every unknown placeholder. */
export function renderConnectorTemplate(text: string, variables: Readonly<Record<string, string>>, file = 'connector template'): ConnectorDefinition {
  return fillConnectorTemplate(parseTemplate(text, file), variables, file);
}

/** Fills every placeholder of an already parsed template (see renderConnectorTemplate). */
export function fillConnectorTemplate(template: { name: string; config: Readonly<Record<string, string>> }, variables: Readonly<Record<string, string>>, file: string): ConnectorDefinition {
  const unknown = new Set<string>();
  const fill = (value: string) =>
    value.replace(placeholder, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      const filled = Object.hasOwn(variables, name) ? variables[name] : undefined;
      if (filled === undefined) {
        unknown.add(name);
        return whole;
      }
      return filled;
    });
  const name = fill(template.name);
  const config = Object.fromEntries(Object.entries(template.config).map(([key, value]) => [key, fill(value)]));
  if (unknown.size) throw new ConnectorTemplateError(file, [...unknown]);
  return Object.freeze({ name, config: Object.freeze(config) });
}
