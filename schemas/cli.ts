// `outflow schemas check|register|list`: the event schemas against the registry.
import type { Command } from 'commander';
import { config } from '../lib/config.ts';
import { SchemaIncompatible } from '../lib/errors.ts';
import { formatTable } from '../lib/table.ts';
import { checkCompatibility, type SubjectCompatibility } from './compatibility.ts';
import { listSchemas, registerSchemas } from './schemaRegistration.ts';

function printChecks(checks: readonly SubjectCompatibility[]): void {
  const rows = checks.flatMap((check) => {
    const versions = check.versions.length ? check.versions.join(',') : '-';
    const [first = '', ...rest] = check.problems;
    return [[check.subject, check.status, versions, first], ...rest.map((problem) => ['', '', '', problem])];
  });
  console.log(formatTable(['subject', 'status', 'registered versions', 'problems'], rows));
}

// No config() here: registering commands must not read the environment (a bad value is
// reported by the command that needs it, with the CLI's error handling).
const dirOption = ['--dir <path>', 'directory of .avsc files to check (default: schemas/avro)'] as const;

export function registerSchemaCommands(program: Command): void {
  const schemas = program.command('schemas').description('the Avro event schemas: check compatibility, register, list');

  schemas
    .command('check')
    .description('compare the local schemas with the registry (BACKWARD, no field without default removed); exits 1 if any is incompatible')
    .option(...dirOption)
    .option('--json', 'print the result as JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const checks = await checkCompatibility(config(), { dir: options.dir });
      if (options.json) console.log(JSON.stringify(checks, null, 2));
      else printChecks(checks);
      const incompatible = checks.filter((check) => check.status === 'incompatible');
      if (incompatible.length) throw new SchemaIncompatible(incompatible);
    });

  schemas
    .command('register')
    .description('check, then set each subject to BACKWARD and register every new or changed schema')
    .option(...dirOption)
    .option('--json', 'print the result as JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const { registered } = await registerSchemas(config(), { dir: options.dir });
      if (options.json) {
        console.log(JSON.stringify(registered, null, 2));
        return;
      }
      console.log(formatTable(['subject', 'version', 'id', 'action'], registered.map((r) => [r.subject, String(r.version), String(r.id), r.action])));
    });

  schemas
    .command('list')
    .description('every subject in the registry with its versions, ids and compatibility level')
    .option('--json', 'print the subjects as JSON')
    .action(async (options: { json?: boolean }) => {
      const subjects = await listSchemas(config());
      if (options.json) {
        console.log(JSON.stringify(subjects, null, 2));
        return;
      }
      const rows = subjects.flatMap((s) =>
        s.versions.map((v, i) => [i ? '' : s.subject, i ? '' : (s.compatibility ?? 'global'), String(v.version), String(v.id)]),
      );
      console.log(formatTable(['subject', 'compatibility', 'version', 'id'], rows));
    });
}
