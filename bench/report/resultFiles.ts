// The files of bench/results: one JSON per scenario run (<date>-<scenario>.json, kept as a
// history), and latest.md with its SVG charts, rebuilt from the newest JSON of every scenario so
// that re-running one scenario does not drop the others from the report.
import fs from 'node:fs';
import path from 'node:path';
import { SCENARIOS, type ChartSpec, type ScenarioName, type ScenarioResult } from '../benchResult.ts';
import { renderMarkdownReport } from './markdownReport.ts';
import { renderChartSvg } from './svgChart.ts';

const RUN_MODES: readonly string[] = ['full', 'quick', 'dry'];
const ARRAY_FIELDS = ['measurements', 'rows', 'goals', 'charts', 'notes'] as const;

export function writeScenarioResult(dir: string, result: ScenarioResult): string {
  const startedAt = new Date(result.startedAt);
  if (Number.isNaN(startedAt.getTime())) throw new Error(`${result.scenario}: startedAt ${JSON.stringify(result.startedAt)} is not a date`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().slice(0, 10)}-${result.scenario}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function writeReport(dir: string, results: ScenarioResult[], command: string): { markdown: string; charts: string[] } {
  fs.mkdirSync(path.join(dir, 'charts'), { recursive: true });
  const charts: string[] = [];
  for (const result of results) {
    for (const chart of result.charts) {
      const file = path.join(dir, chartPath(result, chart));
      fs.writeFileSync(file, renderChartSvg(chart));
      charts.push(file);
    }
  }
  const markdown = renderMarkdownReport(results, { chartPath, command });
  fs.writeFileSync(path.join(dir, 'latest.md'), markdown);
  return { markdown, charts };
}

/** The newest result of each scenario in dir, in SCENARIOS order; scenarios never run are absent. */
export function readScenarioResults(dir: string): ScenarioResult[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    const newest = newestResultFile(dir, names, scenario);
    if (newest) results.push(readScenarioResult(newest, scenario));
  }
  return results;
}

// Relative to the report, with '/' whatever the platform, since it is also the markdown link.
// Chart ids are meant to be file-name safe; anything else is replaced rather than trusted.
function chartPath(result: ScenarioResult, chart: ChartSpec): string {
  return `charts/${result.scenario}-${chart.id.replace(/[^A-Za-z0-9._-]/g, '-')}.svg`;
}

// Any `*-<scenario>.json`, so a result copied in under another name (a re-run kept beside the
// first) still counts. The leading YYYY-MM-DD orders them (undated names come last); two on the
// same date are ordered by mtime, then by name so the choice never depends on readdir order.
function newestResultFile(dir: string, names: string[], scenario: ScenarioName): string | undefined {
  const suffix = `-${scenario}.json`;
  const candidates = names
    .filter((name) => name.endsWith(suffix))
    .map((name) => ({ name, date: /^\d{4}-\d{2}-\d{2}/.exec(name)?.[0] ?? '', mtime: fs.statSync(path.join(dir, name)).mtimeMs }));
  candidates.sort((a, b) => b.date.localeCompare(a.date) || b.mtime - a.mtime || b.name.localeCompare(a.name));
  const newest = candidates[0];
  return newest ? path.join(dir, newest.name) : undefined;
}

// Light validation: enough that the renderer does not fail half-way on a hand-edited or
// truncated file, and that the error names the file to fix.
function readScenarioResult(file: string, scenario: ScenarioName): ScenarioResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const problem = resultProblem(parsed, scenario);
  if (problem) throw new Error(`${file}: ${problem}`);
  return parsed as ScenarioResult;
}

function resultProblem(value: unknown, scenario: ScenarioName): string | undefined {
  if (!isRecord(value)) return 'not a JSON object';
  if (value.scenario !== scenario) return `scenario is ${JSON.stringify(value.scenario)}, expected "${scenario}"`;
  if (typeof value.title !== 'string') return 'title is missing';
  if (typeof value.mode !== 'string' || !RUN_MODES.includes(value.mode)) return `mode ${JSON.stringify(value.mode)} is not one of ${RUN_MODES.join(', ')}`;
  if (typeof value.startedAt !== 'string' || Number.isNaN(new Date(value.startedAt).getTime())) return 'startedAt is not an ISO date';
  if (typeof value.durationSeconds !== 'number') return 'durationSeconds is not a number';
  if (!isRecord(value.parameters)) return 'parameters is not an object';
  for (const field of ARRAY_FIELDS) if (!Array.isArray(value[field])) return `${field} is not an array`;
  if (!isRecord(value.machine) || !Array.isArray(value.machine.loadAverage) || !isRecord(value.machine.components) || !isRecord(value.machine.packages)) return 'machine is incomplete';
  const charts = value.charts as unknown[];
  if (!charts.every((c) => isRecord(c) && typeof c.id === 'string' && Array.isArray(c.categories) && Array.isArray(c.series))) return 'a chart lacks id, categories or series';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
