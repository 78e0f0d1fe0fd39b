// `outflow connectors apply|validate|status|restart|pause|resume|delete|offsets`: the
// Debezium outbox connector over the Kafka Connect REST API; `connectors render` prints it for
// deploy/ (Strimzi) without contacting anything. Failures throw OutflowError, which
// bin/outflow.ts prints with its code before exiting 1.
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger } from '../lib/cliArguments.ts';
import { config, loadConfig } from '../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorNotRunning, ReplicationSlotAtRisk } from '../lib/errors.ts';
import { formatTable } from '../lib/table.ts';
import { applyOutboxConnector, describeStatus, failureTrace, isRunning } from './applyConnector.ts';
import { ConnectClient } from './connectClient.ts';
import { outboxConnector } from './connectorConfig.ts';
import { isRenderFormat, parseEnvFile, renderConnector, RENDER_FORMATS, type RenderFormat } from './connectorRender.ts';
import { recoverLostSlot, type RecoveryOutcome } from './lostSlotRecovery.ts';
import { describeSlot, replicationSlotState, slotWarning } from './replicationSlot.ts';

interface JsonOption {
  json?: boolean;
}

function target() {
  const cfg = config();
  return { cfg, client: new ConnectClient({ url: cfg.connect.url }), definition: outboxConnector(cfg) };
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

function renderFormat(raw: string): RenderFormat {
  if (!isRenderFormat(raw)) throw new InvalidArgumentError(`expected one of ${RENDER_FORMATS.join(', ')}`);
  return raw;
}

interface EnvFile {
  path: string;
  values: Record<string, string>;
}

function envFile(path: string): EnvFile {
  try {
    return { path, values: parseEnvFile(fs.readFileSync(path, 'utf8')) };
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function printInvalid(error: ConnectorConfigInvalid): void {
  console.error(formatTable(['key', 'error'], error.fields.map((f) => [f.field, f.message])));
}

function describeRecovery(outcome: RecoveryOutcome): string {
  if (!outcome.needed) return `nothing to recover: ${outcome.reason}`;
  const total = Object.values(outcome.republished).reduce((a, b) => a + b, 0);
  const perTopic = Object.entries(outcome.republished).map(([topic, n]) => `${topic} ${n}`).join(', ') || 'none';
  const newest = outcome.newestStreamed
    ? `newest event in the topics: ${outcome.newestStreamed.eventId} (${outcome.newestStreamed.topic}/${outcome.newestStreamed.partition}@${outcome.newestStreamed.offset}, occurred ${outcome.newestStreamed.occurredAt})`
    : 'no event in the topics is still an outbox row: every outbox row is published';
  return [
    `${outcome.dryRun ? 'would recover' : 'recovered'} ${outcome.connector}: slot ${outcome.slotName} was ${outcome.cause}`,
    `  ${newest}`,
    `  outbox rows ${outcome.dryRun ? 'to publish' : 'published'} again from ${outcome.since ?? 'the first row'}: ${total} (${perTopic})`,
    ...(outcome.dryRun ? ['  nothing was changed (--dry-run)'] : [`  the new slot streams from ${outcome.slotLsn}; connector ${outcome.connectorState}`]),
  ].join('\n');
}

export function registerConnectorCommands(program: Command): void {
  const connectors = program.command('connectors').description('the Debezium outbox connector on Kafka Connect (config: connectors/outbox-connector.json)');

  connectors
    .command('apply')
    .description('validate, then create or update the connector and wait until it and its task are RUNNING (idempotent)')
    .option('--timeout-ms <ms>', 'how long to wait for RUNNING', positiveInteger, 60_000)
    .option('--json', 'print the resulting status as JSON')
    .action(async (options: JsonOption & { timeoutMs: number }) => {
      try {
        const result = await applyOutboxConnector(config(), { log: (m) => console.error(m), timeoutMs: options.timeoutMs });
        print(options.json, result, `${result.name}: ${describeStatus(result.status)}`);
      } catch (error) {
        if (error instanceof ConnectorConfigInvalid) printInvalid(error);
        throw error;
      }
    });

  connectors
    .command('render')
    .description('print the rendered connector without contacting anything: the JSON Kafka Connect\'s REST API takes, or a Strimzi KafkaConnector (deploy/)')
    .option('--format <format>', `${RENDER_FORMATS.join(' or ')}`, renderFormat, 'connect' as RenderFormat)
    .option('--cluster <name>', 'strimzi: the KafkaConnect resource that runs the connector', 'outflow')
    .option('--from-env-file <file>', 'take the settings from this KEY=VALUE file alone instead of the environment (deploy/base/outflow.env)', envFile)
    .action((options: { format: RenderFormat; cluster: string; fromEnvFile?: EnvFile }) => {
      const cfg = options.fromEnvFile ? loadConfig(options.fromEnvFile.values) : config();
      const command = ['outflow connectors render', `--format ${options.format}`, `--cluster ${options.cluster}`, ...(options.fromEnvFile ? [`--from-env-file ${options.fromEnvFile.path}`] : [])].join(' ');
      process.stdout.write(renderConnector(outboxConnector(cfg), options.format, { cluster: options.cluster, command }));
    });

  connectors
    .command('validate')
    .description('check the rendered config with Kafka Connect; lists each rejected key, changes nothing')
    .option('--json', 'print the problems as JSON')
    .action(async (options: JsonOption) => {
      const { client, definition } = target();
      const problems = await client.validate(definition.name, definition.config);
      if (options.json) console.log(JSON.stringify(problems, null, 2));
      else if (!problems.length) console.log(`${definition.name}: config is valid`);
      if (problems.length) {
        const error = new ConnectorConfigInvalid(definition.name, problems);
        if (!options.json) printInvalid(error);
        throw error;
      }
    });

  connectors
    .command('status')
    .description("the connector's and its tasks' states and the replication slot's lag; exits 1 unless RUNNING")
    .option('--json', 'print the status as JSON')
    .action(async (options: JsonOption) => {
      const { cfg, client, definition } = target();
      const [status, slot] = await Promise.all([
        client.status(definition.name),
        replicationSlotState(cfg, definition.config['slot.name'] ?? definition.name),
      ]);
      const rows = status
        ? [['connector', status.connector.state, status.connector.worker_id], ...status.tasks.map((t) => [`task ${t.id}`, t.state, t.worker_id])]
        : [['connector', 'NOT CREATED', '-']];
      const warning = slot && slotWarning(slot);
      print(
        options.json,
        { name: definition.name, status: status ?? null, slot: slot ?? null, slotWarning: warning ?? null },
        `${formatTable(['', 'state', 'worker'], rows)}\n${slot ? describeSlot(slot) : 'replication slot: none'}`,
      );
      if (!status) throw new ConnectorNotRunning(definition.name, 'not created; run `outflow connectors apply`');
      if (!isRunning(status)) throw new ConnectorNotRunning(definition.name, describeStatus(status), failureTrace(status));
      if (warning) throw new ReplicationSlotAtRisk(slot.slotName, warning.walStatus, warning.fix);
    });

  connectors
    .command('restart')
    .description('restart the connector and its tasks')
    .option('--only-failed', 'restart only what is FAILED')
    .action(async (options: { onlyFailed?: boolean }) => {
      const { client, definition } = target();
      await client.restart(definition.name, { includeTasks: true, onlyFailed: options.onlyFailed ?? false });
      console.error(`restart of ${definition.name} requested`);
    });

  for (const [action, description] of [
    ['pause', 'pause the connector (the slot keeps WAL until it resumes)'],
    ['resume', 'resume a paused connector'],
    ['delete', 'delete the connector (its offsets and replication slot stay)'],
  ] as const) {
    connectors
      .command(action)
      .description(description)
      .action(async () => {
        const { client, definition } = target();
        await client[action](definition.name);
        console.error(`${action} of ${definition.name} requested`);
      });
  }

  connectors
    .command('recover')
    .description(
      'after the replication slot was lost (or dropped): recreate it and the connector, publish the outbox rows the topics may lack, in version order per aggregate, then stream again; resumes a run that was cut short; changes nothing when the slot is healthy',
    )
    .option('--margin-minutes <n>', 're-publish from this long before the newest event in the topics (clock skew between command-API hosts, transaction length)', positiveInteger, 5)
    .option('--dry-run', 'say what would be published again, change nothing')
    .option('--timeout-ms <ms>', 'how long to wait for each step (connector stopped, slot released, connector RUNNING)', positiveInteger, 120_000)
    .option('--json', 'print the outcome as JSON')
    .action(async (options: JsonOption & { marginMinutes: number; dryRun?: boolean; timeoutMs: number }) => {
      const outcome = await recoverLostSlot(config(), {
        marginMs: options.marginMinutes * 60_000,
        dryRun: options.dryRun ?? false,
        timeoutMs: options.timeoutMs,
        log: (m) => console.error(m),
      });
      print(options.json, outcome, describeRecovery(outcome));
    });

  connectors
    .command('offsets')
    .description('the source offsets Kafka Connect has committed for the connector (Debezium: the LSN read up to)')
    .option('--json', 'print the offsets as JSON')
    .action(async (options: JsonOption) => {
      const { client, definition } = target();
      const { offsets } = await client.offsets(definition.name);
      const rows = offsets.map((o) => [JSON.stringify(o.partition), JSON.stringify(o.offset)]);
      print(options.json, offsets, rows.length ? formatTable(['partition', 'offset'], rows) : 'no committed offsets');
    });
}
