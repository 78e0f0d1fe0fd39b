// One `outflow bench` run: check that the stack and services are up, run the chosen scenarios
// one after another (each alone on the machine), write each result as it finishes, and
// regenerate latest.md from the newest result of every scenario.
import path from 'node:path';
import type { Config } from '../lib/config.ts';
import { BenchScenarioFailed, BenchStackNotUp } from '../lib/errors.ts';
import { LocalStack } from '../infra/local/localStack.ts';
import { createBenchContext } from './benchContext.ts';
import { openBenchConnections } from './benchConnections.ts';
import type { RunMode, ScenarioName, ScenarioResult } from './benchResult.ts';
import { preloadEventHistory } from './history/eventHistory.ts';
import { waitForPipelineIdle } from './load/pipelineDrain.ts';
import { ProgressLine } from './progressLine.ts';
import { readScenarioResults, writeReport, writeScenarioResult } from './report/resultFiles.ts';
import { scenarioCatalog } from './scenarioCatalog.ts';

/** Scenarios that measure the live pipeline: they start only once the earlier load has drained. */
const LIVE_PIPELINE_SCENARIOS: ReadonlySet<ScenarioName> = new Set(['commands', 'freshness', 'queries', 'memory']);

export interface BenchRunOptions {
  config: Config;
  mode: RunMode;
  scenarios: readonly ScenarioName[];
  outDir: string;
  /** How the run was asked for, quoted in latest.md. */
  command: string;
  quiet?: boolean;
}

export interface BenchRunOutcome {
  results: ScenarioResult[];
  files: string[];
  report: string;
}

/** Every component of the stack and every service healthy, or a BenchStackNotUp naming the rest. */
export async function assertStackUp(): Promise<void> {
  const stack = new LocalStack({ log: () => {} });
  const statuses = await stack.status([...stack.components, ...stack.services].map((c) => c.name));
  const notUp = statuses.filter((s) => s.health !== 'healthy').map((s) => `${s.name} (${s.health}${s.detail ? `: ${s.detail}` : ''})`);
  if (notUp.length) throw new BenchStackNotUp(notUp);
}

export async function runBench(options: BenchRunOptions): Promise<BenchRunOutcome> {
  await assertStackUp();
  const progress = new ProgressLine(options.quiet);
  const connections = await openBenchConnections(options.config);
  const context = createBenchContext({
    config: options.config,
    mode: options.mode,
    connections,
    progress,
    async buildHistory(ctx) {
      progress.note(`preloading ${ctx.sizes.historyEvents.toLocaleString('en')} events onto private copies of the event topics`);
      const history = await preloadEventHistory({
        config: ctx.config,
        connections,
        runId: ctx.runId,
        events: ctx.sizes.historyEvents,
        onProgress: (done, total) => progress.update('history', `${done}/${total} events produced`),
      });
      ctx.onClose(() => history.drop());
      progress.note(`preloaded ${history.events.toLocaleString('en')} events (${history.orders.size.toLocaleString('en')} orders) in ${history.loadSeconds.toFixed(1)} s`);
      return history;
    },
  });
  const results: ScenarioResult[] = [];
  const files: string[] = [];
  const failures: { scenario: ScenarioName; message: string }[] = [];
  try {
    for (const name of options.scenarios) {
      const scenario = scenarioCatalog[name];
      if (LIVE_PIPELINE_SCENARIOS.has(name)) {
        const seconds = await waitForPipelineIdle(context);
        if (seconds > 1) progress.note(`${name}: waited ${seconds.toFixed(1)} s for the pipeline to catch up with earlier load`);
      }
      const machine = await context.machine();
      const startedAt = new Date();
      progress.note(`${scenario.name}: ${scenario.title} (${options.mode})`);
      const began = performance.now();
      let findings: Awaited<ReturnType<typeof scenario.run>>;
      try {
        findings = await scenario.run(context);
      } catch (error) {
        // One broken scenario should not cost the figures of the others: note it, go on, and fail the run at the end.
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        failures.push({ scenario: scenario.name, message });
        progress.failure(`${scenario.name}: FAILED: ${message}`);
        continue;
      }
      const result: ScenarioResult = {
        scenario: scenario.name,
        title: scenario.title,
        mode: options.mode,
        startedAt: startedAt.toISOString(),
        durationSeconds: Math.round((performance.now() - began) / 100) / 10,
        machine,
        ...findings,
      };
      results.push(result);
      files.push(writeScenarioResult(options.outDir, result));
      progress.note(`${scenario.name}: done in ${result.durationSeconds} s; ${result.goals.map((g) => `${g.figure}: ${g.measured} ${g.unit} (${g.pass ? 'pass' : 'FAIL'})`).join('; ') || 'no goal figures'}`);
    }
  } finally {
    await context.close();
    await connections.close();
  }
  // The report shows the newest result of every scenario, so a run of one scenario updates its
  // section and keeps the others.
  const all = readScenarioResults(options.outDir);
  writeReport(options.outDir, all, options.command);
  if (failures.length) throw new BenchScenarioFailed(failures);
  return { results, files, report: path.join(options.outDir, 'latest.md') };
}
