// Scenario 5: a full rebuild. Every projection rebuilt from the preloaded history at once, each
// by its own process running what `outflow projections rebuild NAME --parallel N` runs (replay
// from offset 0, catch up, switch), first with --parallel 1, then 2: wall time for all, and each
// projection's events/s.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ComparisonRow, Measurement } from '../benchResult.ts';
import type { RebuildResult } from '../../projectors/generations/projectionRebuild.ts';
import { allProjections } from '../../read-models/registry.ts';
import type { BenchContext } from '../benchContext.ts';
import { dropBenchProjection } from '../history/benchCleanup.ts';
import { benchProjection } from '../history/benchProjections.ts';
import { goal, row, type Scenario } from '../scenario.ts';

function rebuildInChild(context: BenchContext, projection: string, label: string, topics: Readonly<Record<string, string>>, parallel: number): Promise<RebuildResult> {
  const script = path.join(context.config.repoRoot, 'bench', 'history', 'benchRebuildProcess.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, projection, context.runId, label, JSON.stringify(topics), String(parallel)], {
    cwd: context.config.repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  context.onClose(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as RebuildResult);
      else reject(new Error(`rebuild of ${projection} (--parallel ${parallel}) exited with ${code}: ${stderr}`));
    });
  });
}

export const rebuildThroughputScenario: Scenario = {
  name: 'rebuild',
  title: 'Full rebuild of every projection from the event history',
  async run(context) {
    const { progress, sizes } = context;
    const history = await context.history();
    const measurements: Measurement[] = [];
    const rows: ComparisonRow[] = [];
    const walls: Record<number, number> = {};
    for (const parallel of sizes.rebuildParallel) {
      const label = `r${parallel}`;
      for (const p of allProjections) {
        const definition = benchProjection(p.name, context.runId, history.topics, label);
        context.onClose(() => dropBenchProjection(context, definition, [1, 2]));
      }
      progress.note(`rebuild: all ${allProjections.length} projections at once, --parallel ${parallel}, ${history.events.toLocaleString('en')} events`);
      const began = performance.now();
      const ticker = setInterval(() => progress.update('rebuild', `--parallel ${parallel}: ${((performance.now() - began) / 1000).toFixed(0)} s`), 1000);
      let results: RebuildResult[];
      try {
        results = await Promise.all(allProjections.map((p) => rebuildInChild(context, p.name, label, history.topics, parallel)));
      } finally {
        clearInterval(ticker);
      }
      const wall = (performance.now() - began) / 1000;
      walls[parallel] = wall;
      const replayed = results.reduce((sum, r) => sum + r.replayed, 0);
      measurements.push({ id: `ours.all.p${parallel}`, label: `all projections, --parallel ${parallel}`, subject: 'ours', value: Math.round(wall * 10) / 10, unit: 's', details: { replayed, historyEvents: history.events } });
      rows.push(row(`all projections, --parallel ${parallel}: wall time`, 's', Math.round(wall * 10) / 10), row(`all projections, --parallel ${parallel}: history events/s`, 'events/s', Math.round(history.events / wall)));
      for (const [i, result] of results.entries()) {
        const name = allProjections[i]!.name;
        measurements.push({ id: `ours.${name}.p${parallel}`, label: `${name} --parallel ${parallel}`, subject: 'ours', value: Math.round(result.eventsPerSecond), unit: 'events/s', details: { ...result } });
        rows.push(row(`${name} --parallel ${parallel}: ${result.replayed.toLocaleString('en')} events`, 'events/s', Math.round(result.eventsPerSecond)));
      }
    }
    const best = Math.min(...Object.values(walls));
    return {
      parameters: { events: history.events, parallel: sizes.rebuildParallel, projections: allProjections.map((p) => p.name) },
      measurements,
      rows,
      goals: [
        goal(
          { figure: `full rebuild of ${history.events.toLocaleString('en')} events (all projections)`, seedTarget: '"days" at 100 B', goal: '< 90 s', measured: Math.round(best * 10) / 10, unit: 's' },
          (seconds) => seconds < 90 && history.events >= 1_000_000,
        ),
      ],
      charts: [
        {
          id: 'rebuild',
          title: 'Rebuild: events/s per projection (all four at once)',
          unit: 'events/s',
          categories: allProjections.map((p) => p.name),
          series: sizes.rebuildParallel.map((parallel) => ({
            name: `--parallel ${parallel}`,
            subject: 'ours' as const,
            values: allProjections.map((p) => measurements.find((m) => m.id === `ours.${p.name}.p${parallel}`)?.value ?? null),
          })),
        },
      ],
      notes: [
        'Each projection is rebuilt by its own process (what `outflow projections rebuild NAME --parallel N` runs), all four at once, as an operator rebuilding everything would; they share the 2 cores with the stack.',
        'A projection\'s events/s counts the messages of its topics (the order topic is read by three projections, so the four together replay more messages than the history holds).',
        'The goal passes only for a history of at least 1,000,000 events.',
      ],
    };
  },
};
