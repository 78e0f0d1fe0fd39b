// `outflow connectors list|apply|validate|status|restart|pause|resume|delete|offsets|recover|render`:
// each declared source's Debezium connector (connectors/sources/<source>.json), by the source's
// name, over the Kafka Connect REST API; `connectors render <source>` prints one for deploy/
// (Strimzi) without contacting anything. A name no declaration has is refused before anything is
// contacted. Failures throw OutflowError, which bin/outflow.ts prints with its code before exiting 1.
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger } from '../lib/cliArguments.ts';
import { config, loadConfig } from '../lib/config.ts';
import { ConnectorConfigInvalid, ConnectorNotRunning, ReplicationSlotAtRisk, UnknownSource, type OutflowError } from '../lib/errors.ts';
import { formatTable } from '../lib/table.ts';
import { applySource, describeStatus, failureTrace, isRunning } from './applyConnector.ts';
import { ConnectClient } from './connectClient.ts';
import { isRenderFormat, parseEnvFile, renderConnector, RENDER_FORMATS, type RenderFormat } from './connectorRender.ts';
import { recoverLostSlot, type RecoveryOutcome } from './lostSlotRecovery.ts';
import { describeSlot, replicationSlotState, slotWarning } from './replicationSlot.ts';
import { declaredSources, sourceNamed, type Source } from './sourceConnector.ts';
import { listConnectors, listedRow, LISTED_COLUMNS } from './sourceListing.ts';

interface JsonOption {
  json?: boolean;
}

interface AllOption {
  all?: boolean;
}

/** The named source (refused, listing the declared ones, before anything is contacted) and a Connect client. */
function target(name: string | undefined) {
  const cfg = config();
  const source = sourceNamed(cfg, name);
  return { cfg, source, client: new ConnectClient({ url: cfg.connect.url }) };
}

/** `<source>` or `--all`: exactly one of them. */
function targets(name: string | undefined, { all }: AllOption) {
  const cfg = config();
  const sources = declaredSources(cfg);
  if (all && name !== undefined) throw new UnknownSource(name, sources.map((s) => s.name), { allowsAll: true, withAll: true });
  const chosen = all ? sources : sources.filter((s) => s.name === name);
  if (!chosen.length) throw new UnknownSource(name, sources.map((s) => s.name), { allowsAll: true });
  return { cfg, sources: chosen, client: new ConnectClient({ url: cfg.connect.url }) };
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
    `${outcome.dryRun ? 'would recover' : 'recovered'} ${outcome.source} (connector ${outcome.connector}): slot ${outcome.slotName} was ${outcome.cause}`,
    `  ${newest}`,
    `  outbox rows ${outcome.dryRun ? 'to publish' : 'published'} again from ${outcome.since ?? 'the first row'}: ${total} (${perTopic})`,
    ...(outcome.dryRun ? ['  nothing was changed (--dry-run)'] : [`  the new slot streams from ${outcome.slotLsn}; connector ${outcome.connectorState}`]),
  ].join('\n');
}

export function registerConnectorCommands(program: Command): void {
  const connectors = program
    .command('connectors')
    .description("each declared source's Debezium outbox connector on Kafka Connect, by the source's name (connectors/sources/<source>.json)");

  connectors
    .command('list')
    .description('every declared source and every connector Kafka Connect runs: state, task states and slot lag ("not declared", "not created")')
    .option('--json', 'print the list as JSON')
    .action(async (options: JsonOption) => {
      const cfg = config();
      const rows = await listConnectors(cfg, new ConnectClient({ url: cfg.connect.url }), declaredSources(cfg));
      print(options.json, rows, formatTable(LISTED_COLUMNS, rows.map(listedRow)));
    });

  connectors
    .command('apply')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .option('--all', 'every declared source, one after another')
    .description("validate, then create or update the source's connector and wait until it and its task are RUNNING (idempotent)")
    .option('--timeout-ms <ms>', 'how long to wait for RUNNING', positiveInteger, 60_000)
    .option('--json', 'print the resulting status as JSON')
    .action(async (name: string | undefined, options: JsonOption & AllOption & { timeoutMs: number }) => {
      const { cfg, sources } = targets(name, options);
      const results = [];
      for (const source of sources) {
        try {
          results.push(await applySource(cfg, source.name, { log: (m) => console.error(m), timeoutMs: options.timeoutMs }));
        } catch (error) {
          if (error instanceof ConnectorConfigInvalid) printInvalid(error);
          throw error;
        }
      }
      print(options.json, options.all ? results : results[0], results.map((r) => `${r.source} (${r.name}): ${describeStatus(r.status)}`).join('\n'));
    });

  connectors
    .command('render')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .description("print the source's rendered connector without contacting anything: the JSON Kafka Connect's REST API takes, or a Strimzi KafkaConnector (deploy/)")
    .option('--format <format>', `${RENDER_FORMATS.join(' or ')}`, renderFormat, 'connect' as RenderFormat)
    .option('--cluster <name>', 'strimzi: the KafkaConnect resource that runs the connector', 'outflow')
    .option('--from-env-file <file>', 'take the settings from this KEY=VALUE file alone instead of the environment (deploy/base/outflow.env)', envFile)
    .action((name: string | undefined, options: { format: RenderFormat; cluster: string; fromEnvFile?: EnvFile }) => {
      const cfg = options.fromEnvFile ? loadConfig(options.fromEnvFile.values) : config();
      const source = sourceNamed(cfg, name);
      const command = ['outflow connectors render', source.name, `--format ${options.format}`, `--cluster ${options.cluster}`, ...(options.fromEnvFile ? [`--from-env-file ${options.fromEnvFile.path}`] : [])].join(' ');
      process.stdout.write(renderConnector(source.connector, options.format, { cluster: options.cluster, command, from: source.file }));
    });

  connectors
    .command('validate')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .option('--all', 'every declared source')
    .description("check the source's rendered config with Kafka Connect; lists each rejected key, changes nothing")
    .option('--json', 'print the problems as JSON')
    .action(async (name: string | undefined, options: JsonOption & AllOption) => {
      const { client, sources } = targets(name, options);
      const checked = await Promise.all(sources.map(async (source) => ({ source: source.name, connector: source.connector.name, problems: await client.validate(source.connector.name, source.connector.config) })));
      if (options.json) console.log(JSON.stringify(options.all ? checked : checked[0]!.problems, null, 2));
      const invalid = checked.filter((c) => c.problems.length).map((c) => new ConnectorConfigInvalid(c.connector, c.problems));
      for (const c of checked.filter((x) => !x.problems.length)) if (!options.json) console.log(`${c.source} (${c.connector}): config is valid`);
      if (!options.json) invalid.forEach(printInvalid);
      if (invalid.length) throw invalid[0]!;
    });

  connectors
    .command('status')
    .argument('[source]', 'the declared source; without one, every declared source')
    .description("each connector's and its tasks' states and its replication slot's lag; exits 1 unless every one shown is RUNNING with a safe slot")
    .option('--json', 'print the status as JSON (an object for one source, a list for all)')
    .action(async (name: string | undefined, options: JsonOption) => {
      const cfg = config();
      const sources = name === undefined ? declaredSources(cfg) : [sourceNamed(cfg, name)];
      const client = new ConnectClient({ url: cfg.connect.url });
      const reports = await Promise.all(sources.map((source) => sourceStatus(cfg, client, source)));
      const json = reports.map((r) => r.json);
      print(options.json, name === undefined ? json : json[0], reports.map((r) => r.text).join('\n\n'));
      const problems = reports.flatMap((r) => r.problems);
      if (problems.length > 1) for (const problem of problems) console.error(`outflow: ${problem.message} [${problem.code}]`);
      if (problems.length) throw problems[0]!;
    });

  connectors
    .command('restart')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .description("restart the source's connector and its tasks")
    .option('--only-failed', 'restart only what is FAILED')
    .action(async (name: string | undefined, options: { onlyFailed?: boolean }) => {
      const { client, source } = target(name);
      await client.restart(source.connector.name, { includeTasks: true, onlyFailed: options.onlyFailed ?? false });
      console.error(`restart of ${source.connector.name} (${source.name}) requested`);
    });

  for (const [action, description] of [
    ['pause', "pause the source's connector (its slot keeps WAL until it resumes)"],
    ['resume', "resume the source's paused connector"],
    ['delete', "delete the source's connector (its offsets and replication slot stay)"],
  ] as const) {
    connectors
      .command(action)
      .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
      .description(description)
      .action(async (name: string | undefined) => {
        const { client, source } = target(name);
        await client[action](source.connector.name);
        console.error(`${action} of ${source.connector.name} (${source.name}) requested`);
      });
  }

  connectors
    .command('recover')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .option('--all', 'every declared source, one after another (Kafka Connect down past the WAL bound loses every slot): healthy ones are left as they are')
    .description(
      "after the source's replication slot was lost (or dropped): recreate it and the connector, publish the outbox rows its topics may lack, in version order per aggregate, then stream again; resumes a run that was cut short; changes nothing when the slot is healthy",
    )
    .option('--margin-minutes <n>', 're-publish from this long before the newest event in the topics (clock skew between command-API hosts, transaction length)', positiveInteger, 5)
    .option('--dry-run', 'say what would be published again, change nothing')
    .option('--timeout-ms <ms>', 'how long to wait for each step (connector stopped, slot released, connector RUNNING)', positiveInteger, 120_000)
    .option('--json', 'print the outcome as JSON')
    .action(async (name: string | undefined, options: JsonOption & AllOption & { marginMinutes: number; dryRun?: boolean; timeoutMs: number }) => {
      const { cfg, sources } = targets(name, options);
      const outcomes: RecoveryOutcome[] = [];
      for (const source of sources) {
        outcomes.push(
          await recoverLostSlot(cfg, source.name, {
            marginMs: options.marginMinutes * 60_000,
            dryRun: options.dryRun ?? false,
            timeoutMs: options.timeoutMs,
            log: (m) => console.error(m),
          }),
        );
      }
      const text = outcomes.map((outcome, i) => (options.all ? `${sources[i]!.name}: ${describeRecovery(outcome)}` : describeRecovery(outcome)));
      print(options.json, options.all ? outcomes : outcomes[0], text.join('\n'));
    });

  connectors
    .command('offsets')
    .argument('[source]', 'the declared source (connectors/sources/<source>.json)')
    .description("the source offsets Kafka Connect has committed for the source's connector (Debezium: the LSN read up to)")
    .option('--json', 'print the offsets as JSON')
    .action(async (name: string | undefined, options: JsonOption) => {
      const { client, source } = target(name);
      const { offsets } = await client.offsets(source.connector.name);
      const rows = offsets.map((o) => [JSON.stringify(o.partition), JSON.stringify(o.offset)]);
      print(options.json, offsets, rows.length ? formatTable(['partition', 'offset'], rows) : 'no committed offsets');
    });
}

/** One source's part of `connectors status`: what is printed, and what makes the command fail. */
async function sourceStatus(cfg: ReturnType<typeof config>, client: ConnectClient, source: Source): Promise<{ json: unknown; text: string; problems: OutflowError[] }> {
  const name = source.connector.name;
  const [status, slot] = await Promise.all([client.status(name), replicationSlotState(cfg, source)]);
  const rows = status
    ? [['connector', status.connector.state, status.connector.worker_id], ...status.tasks.map((t) => [`task ${t.id}`, t.state, t.worker_id])]
    : [['connector', 'NOT CREATED', '-']];
  const warning = slot && slotWarning(slot, source);
  const problems: OutflowError[] = [];
  if (!status) problems.push(new ConnectorNotRunning(name, `not created; run \`outflow connectors apply ${source.name}\``));
  else if (!isRunning(status)) problems.push(new ConnectorNotRunning(name, describeStatus(status), failureTrace(status)));
  if (slot && warning) problems.push(new ReplicationSlotAtRisk(slot.slotName, warning.walStatus, warning.fix));
  return {
    json: { source: source.name, name, status: status ?? null, slot: slot ?? null, slotWarning: warning ?? null },
    text: `source ${source.name} (connector ${name})\n${formatTable(['', 'state', 'worker'], rows)}\n${slot ? describeSlot(slot) : `replication slot ${source.slot}: none`}`,
    problems,
  };
}
