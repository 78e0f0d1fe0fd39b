// The operator CLI. Each area owns its subcommands; this file only wires them.
import { Command, CommanderError } from 'commander';
import { OutflowError } from '../lib/errors.ts';
import { registerStackCommands } from '../infra/local/cli.ts';
import { registerLifecycleCommands } from '../infra/local/lifecycleCli.ts';
import { registerCommandApiCommands } from '../command-api/cli.ts';
import { registerKeysCommands } from '../lib/auth/keysCli.ts';
import { registerQueryApiCommands } from '../query-api/cli.ts';
import { registerSchemaCommands } from '../schemas/cli.ts';
import { registerConnectorCommands } from '../connectors/cli.ts';
import { registerOutboxCommands } from '../connectors/outboxCli.ts';
import { registerProjectorCommands } from '../projectors/cli.ts';
import { registerStatusCommands } from '../status/cli.ts';
import { registerBenchCommand } from '../bench/benchCli.ts';
import { quietKnownWarnings } from '../lib/processWarnings.ts';

quietKnownWarnings();

const program = new Command('outflow')
  .description('outflow: a CDC-driven CQRS projection pipeline')
  .showHelpAfterError()
  .exitOverride();

registerStackCommands(program);
registerLifecycleCommands(program);
registerCommandApiCommands(program);
registerOutboxCommands(program);
registerKeysCommands(program);
registerQueryApiCommands(program);
registerSchemaCommands(program);
registerConnectorCommands(program);
registerProjectorCommands(program);
registerStatusCommands(program);
registerBenchCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof OutflowError) {
    console.error(`outflow: ${error.message} [${error.code}]`);
    const logTail = error.details.logTail;
    if (typeof logTail === 'string' && logTail.trim()) console.error(`--- last log lines ---\n${logTail}`);
    process.exitCode = 1;
  } else {
    console.error(`outflow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
}
