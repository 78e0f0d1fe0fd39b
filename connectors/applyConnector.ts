// Applying a connector is convergent: validate (nothing changes if any key is rejected),
// create or replace the config, resume it if paused, then wait until the connector and
// every task run the config we sent. Running it twice changes nothing.
import type { Config } from '../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorNotRunning } from '../lib/errors.ts';
import { pollUntil } from '../lib/pollUntil.ts';
import { ensureEventTopics } from './eventTopics.ts';
import { awaitRowsBeforePlacedColumns } from './headerPlacementUpgrade.ts';
import { ConnectClient, type ConnectorStatus, type TaskConfig } from './connectClient.ts';
import type { ConnectorDefinition, ConnectorSettings } from './connectorConfig.ts';
import { publicationExists } from './replicationSlot.ts';
import { declaredSources, sourceNamed, type Source } from './sourceConnector.ts';
import { assertStreamContinues } from './streamContinuity.ts';

export interface ApplyOptions {
  log?: (message: string) => void;
  timeoutMs?: number;
}

export interface ApplyResult {
  /** The source's name. */
  source: string;
  /** The connector's name. */
  name: string;
  created: boolean;
  status: ConnectorStatus;
}

/** Describes a status in one line, e.g. `RUNNING (task 0 RUNNING)`. */
export function describeStatus(status: ConnectorStatus): string {
  const tasks = status.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ');
  return `${status.connector.state} (${tasks || 'no tasks'})`;
}

export function isRunning(status: ConnectorStatus): boolean {
  return status.connector.state === 'RUNNING' && status.tasks.length > 0 && status.tasks.every((t) => t.state === 'RUNNING');
}

/** The connector's or first failed task's trace: what the operator needs to see. */
export function failureTrace(status: ConnectorStatus): string | undefined {
  if (status.connector.state === 'FAILED') return status.connector.trace;
  return status.tasks.find((t) => t.state === 'FAILED')?.trace;
}

export function isFailed(status: ConnectorStatus): boolean {
  return status.connector.state === 'FAILED' || status.tasks.some((t) => t.state === 'FAILED');
}

/** True once every task has been given the config we sent (a replaced config restarts the tasks). */
function tasksHaveConfig(tasks: readonly TaskConfig[], config: ConnectorSettings): boolean {
  return tasks.length > 0 && tasks.every((task) => Object.entries(config).every(([key, value]) => task.config[key] === value));
}

/** Polls until the connector and all its tasks are RUNNING; throws ConnectorNotRunning with the trace if one FAILED. */
export async function waitUntilRunning(
  client: ConnectClient,
  name: string,
  { timeoutMs = 60_000, config }: { timeoutMs?: number; config?: ConnectorSettings } = {},
): Promise<ConnectorStatus> {
  const settled = await pollUntil(
    `connector ${name} and its tasks to be RUNNING`,
    async () => {
      if (config) {
        const tasks = await client.taskConfigs(name);
        if (!tasks || !tasksHaveConfig(tasks, config)) return undefined;
      }
      const status = await client.status(name);
      if (!status) return undefined;
      return isRunning(status) || isFailed(status) ? status : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
  if (isFailed(settled)) throw new ConnectorNotRunning(name, describeStatus(settled), failureTrace(settled));
  return settled;
}

export async function applyConnector(client: ConnectClient, definition: ConnectorDefinition, { log = () => {}, timeoutMs }: ApplyOptions = {}): Promise<Omit<ApplyResult, 'source'>> {
  const { name, config } = definition;
  const problems = await client.validate(name, config);
  if (problems.length) throw new ConnectorConfigInvalid(name, problems);

  const { created } = await client.createOrUpdate(name, config);
  log(`${created ? 'created' : 'updated'} connector ${name}`);

  const current = await client.status(name);
  if (current?.connector.state === 'PAUSED') {
    // apply states the desired state: this config, running
    log(`connector ${name} was paused; resuming it`);
    await client.resume(name);
  }
  const status = await waitUntilRunning(client, name, { timeoutMs, config });
  log(`connector ${name} is ${describeStatus(status)}`);
  return { name, created, status };
}

/**
 * What `outflow connectors apply <source>` calls: the source's connector, applied and running.
 * Its publication must exist in its database, its topics are created first, and its slot must
 * not have lost what it has not streamed (streamContinuity.ts).
 */
export async function applySource(config: Config, sourceName: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  return applyRenderedSource(config, sourceNamed(config, sourceName), options);
}

/** What `outflow start`, `outflow connectors apply --all` and the test stack call: every declared source, one after another. */
export async function applyAllSources(config: Config, options: ApplyOptions = {}): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const source of declaredSources(config)) results.push(await applyRenderedSource(config, source, options));
  return results;
}

async function applyRenderedSource(config: Config, source: Source, options: ApplyOptions): Promise<ApplyResult> {
  const definition = source.connector;
  if (!(await publicationExists(config, source))) {
    // Debezium would try to create it as the CDC role and fail on table ownership (see 002_cdc_publication.sql).
    throw new ConnectorNotRunning(
      definition.name,
      `not applied: publication ${source.publication} does not exist in ${source.database}; the migration of the service that owns ${source.outboxTable} creates it (for command-api: \`outflow migrate\`)`,
    );
  }
  await ensureEventTopics(config, options.log, source.topics);
  await assertStreamContinues(config, source);
  const client = new ConnectClient({ url: config.connect.url });
  await awaitRowsBeforePlacedColumns(config, client, source, { log: options.log });
  return { source: source.name, ...(await applyConnector(client, definition, options)) };
}
