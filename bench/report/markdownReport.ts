// bench/results/latest.md: what was run, on what, whether ARCHITECTURE.md's goals were reached,
// then each scenario's comparison with its references. Pure text from the results, so the
// report can be regenerated from stored JSON without re-running anything.
import type { ChartSpec, ComparisonRow, GoalCheck, MachineInfo, ScenarioResult } from '../benchResult.ts';

export interface MarkdownReportOptions {
  /** Where the chart's SVG is, as the markdown should link it (relative to the report). */
  chartPath(result: ScenarioResult, chart: ChartSpec): string;
  /** The command line that produced the results, shown so the run can be repeated. */
  command: string;
}

const NONE = '—';

export function renderMarkdownReport(results: ScenarioResult[], options: MarkdownReportOptions): string {
  const lines: string[] = ['# outflow benchmark report', ''];
  lines.push(`Produced by ${inlineCode(options.command)}.`, '');
  if (results.length === 0) {
    lines.push('No scenario results were found.');
    return `${lines.join('\n')}\n`;
  }
  const modes = [...new Set(results.map((r) => r.mode))];
  const starts = results.map((r) => r.startedAt).sort();
  lines.push(`- mode: ${modes.join(', ')}`);
  lines.push(`- runs started: ${dateRange(starts[0] ?? '', starts[starts.length - 1] ?? '')}`);
  lines.push(`- scenarios: ${results.map((r) => r.scenario).join(', ')}`, '');
  if (modes.includes('dry')) lines.push(`> Results from dry runs (${results.filter((r) => r.mode === 'dry').map((r) => r.scenario).join(', ')}) use token sizes: their figures are not measurements.`, '');
  lines.push(...machineSection(results[0]!.machine), '');
  lines.push(...goalsSection(results), '');
  for (const result of results) lines.push(...scenarioSection(result, options), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function machineSection(machine: MachineInfo): string[] {
  const components = Object.entries(machine.components).map(([name, version]) => `${name} ${version}`);
  const packages = Object.entries(machine.packages).map(([name, version]) => `${name}@${version}`);
  return [
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['host', `${machine.hostname} (${machine.platform})`],
        ['cpu', `${machine.cpuModel}, ${machine.cores} cores`],
        ['memory', `${formatNumber(machine.memoryGiB)} GiB`],
        ['node', machine.node],
        ['load average at start', loadAverage(machine.loadAverage)],
        ['components', components.join(', ') || NONE],
        ['packages', packages.join(', ') || NONE],
      ],
    ),
  ];
}

function goalsSection(results: ScenarioResult[]): string[] {
  const goals = results.flatMap((r) => r.goals);
  if (goals.length === 0) return ['## Goals', '', 'No goals were checked in these runs.'];
  return [
    '## Goals',
    '',
    table(
      ['figure', 'seed target', 'our goal', 'measured', 'reference', 'ratio', 'result'],
      goals.map((g: GoalCheck) => [
        g.figure,
        g.seedTarget ?? NONE,
        g.goal,
        withUnit(g.measured, g.unit),
        g.reference ? `${withUnit(g.reference.value, g.reference.unit)} (${g.reference.label})` : NONE,
        g.ratio === undefined ? NONE : formatRatio(g.ratio),
        g.pass ? 'pass' : '**FAIL**',
      ]),
    ),
  ];
}

function scenarioSection(result: ScenarioResult, options: MarkdownReportOptions): string[] {
  const lines = [`## ${result.title}`, ''];
  if (result.mode === 'dry') lines.push('**dry run: token sizes, figures are not measurements**', '');
  lines.push(`- scenario: ${inlineCode(result.scenario)}, mode: ${result.mode}`);
  lines.push(`- started: ${dateTime(result.startedAt)}, took ${formatDuration(result.durationSeconds)}, load average at start ${loadAverage(result.machine.loadAverage)}`);
  lines.push(`- parameters: ${parameterList(result.parameters)}`, '');
  if (result.rows.length > 0) lines.push(comparisonTable(result.rows), '');
  for (const chart of result.charts) lines.push(`![${markdownText(chart.title)}](${linkTarget(options.chartPath(result, chart))})`, '');
  if (result.notes.length > 0) lines.push(...result.notes.map((note) => `- ${note.trim().replace(/\n/g, '\n  ')}`));
  return lines;
}

function comparisonTable(rows: ComparisonRow[]): string {
  return table(
    ['figure', 'ours', 'reference', 'ratio'],
    rows.map((row) => {
      const ratio = row.ratio ?? (row.reference ? row.ours / row.reference : undefined);
      return [row.label, withUnit(row.ours, row.unit), referenceCell(row), ratio === undefined ? NONE : formatRatio(ratio)];
    }),
  );
}

function referenceCell(row: ComparisonRow): string {
  if (row.reference === undefined) return row.referenceNote ? `_${row.referenceNote}_` : NONE;
  const label = row.referenceLabel ? ` (${row.referenceLabel})` : '';
  return `${withUnit(row.reference, row.unit)}${label}`;
}

/**
 * Latencies and other fractional figures keep about three significant digits (0.42, 3.15,
 * 42.1, 318); integers and rates get thousands separators (12,345) because nobody reads
 * the last digits of a throughput.
 */
export function formatNumber(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) || magnitude >= 100 || (isRate(unit) && magnitude >= 10)) return thousands(Math.round(value));
  if (magnitude < 1) return String(Number(value.toPrecision(2)));
  return value.toFixed(magnitude < 10 ? 2 : 1);
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return `${ratio}×`;
  const magnitude = Math.abs(ratio);
  const text = magnitude >= 100 ? thousands(Math.round(ratio)) : magnitude >= 10 ? ratio.toFixed(1) : magnitude >= 0.1 || ratio === 0 ? ratio.toFixed(2) : String(Number(ratio.toPrecision(2)));
  return `${text}×`;
}

function withUnit(value: number, unit: string): string {
  return unit ? `${formatNumber(value, unit)} ${unit}` : formatNumber(value, unit);
}

function isRate(unit: string): boolean {
  return /\/\s*(s|sec|second)$/i.test(unit);
}

function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${formatNumber(seconds)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

function loadAverage(load: number[]): string {
  return load.length ? load.map((l) => l.toFixed(2)).join(' / ') : NONE;
}

function parameterList(parameters: Record<string, unknown>): string {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return 'none';
  return entries.map(([key, value]) => inlineCode(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)).join(', ');
}

function dateRange(first: string, last: string): string {
  return first === last ? dateTime(first) : `${dateTime(first)} – ${dateTime(last)}`;
}

function dateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(tableCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function tableCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

// A code span must be fenced by more backticks than it contains.
function inlineCode(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = longestRun > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function markdownText(text: string): string {
  return text.replace(/([\\[\]])/g, '\\$1');
}

function linkTarget(path: string): string {
  return path.replace(/ /g, '%20').replace(/\(/g, '%28').replace(/\)/g, '%29');
}
