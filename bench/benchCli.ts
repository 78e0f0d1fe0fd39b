// `outflow bench` (what `npm run bench` runs): the performance figures, each measured beside
// its reference in the same run. Never part of `npm test`, except one `--quick --dry` smoke.
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { config } from '../lib/config.ts';
import { SCENARIOS, type RunMode, type ScenarioName } from './benchResult.ts';
import { runBench } from './benchRun.ts';
import { registerCapacityCommand } from './capacity/capacityCli.ts';

function scenarioList(value: string): ScenarioName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) throw new InvalidArgumentError(`unknown scenario ${unknown.join(', ') || '(none)'}; choose from ${SCENARIOS.join(', ')}`);
  return names as ScenarioName[];
}

export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('measure the running stack against the references in ARCHITECTURE.md; writes bench/results/*.json, latest.md and SVG charts')
    .option('--quick', 'smaller sizes: every scenario in under 5 minutes')
    .option('--dry', 'token sizes: checks the harness runs and writes its files; the figures mean nothing')
    .option('--scenarios <list>', `comma-separated, from: ${SCENARIOS.join(', ')}`, scenarioList)
    .option('--out <dir>', 'where results, charts and latest.md go', 'bench/results')
    .option('--quiet', 'no progress on stderr')
    .action(async (options: { quick?: boolean; dry?: boolean; scenarios?: ScenarioName[]; out: string; quiet?: boolean }) => {
      const cfg = config();
      const mode: RunMode = options.dry ? 'dry' : options.quick ? 'quick' : 'full';
      const scenarios = options.scenarios ?? [...SCENARIOS];
      const outDir = path.resolve(cfg.repoRoot, options.out);
      const flags = [...(options.quick ? ['--quick'] : []), ...(options.dry ? ['--dry'] : []), ...(options.scenarios ? [`--scenarios ${scenarios.join(',')}`] : [])];
      const command = flags.length ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench';
      const outcome = await runBench({ config: cfg, mode, scenarios, outDir, command, quiet: options.quiet });
      for (const file of outcome.files) console.log(path.relative(cfg.repoRoot, file));
      console.log(path.relative(cfg.repoRoot, outcome.report));
    });
  registerCapacityCommand(bench);
}
