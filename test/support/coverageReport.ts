// Coverage of the whole suite: every test process and every process it starts (CLIs, workers,
// services) writes V8 coverage into one directory through NODE_V8_COVERAGE; c8 maps it back to
// the TypeScript sources and this module prints line and branch coverage per folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { formatTable } from '../../lib/table.ts';

/** The folders of the product whose coverage is reported, in the order of the data flow. */
export const COVERED_FOLDERS = ['command-api', 'schemas', 'connectors', 'projectors', 'query-api', 'lib', 'infra', 'bench', 'bin'] as const;
/** The folders the coverage goal is measured on. */
export const GOAL_FOLDERS = ['command-api', 'projectors', 'query-api', 'schemas'] as const;

interface Counts {
  total: number;
  covered: number;
}
interface FileSummary {
  lines: Counts;
  branches: Counts;
}
export interface FolderCoverage {
  folder: string;
  lines: Counts;
  branches: Counts;
}

export function coverageDirectories(repoRoot: string): { raw: string; report: string } {
  return { raw: path.join(repoRoot, 'coverage', 'v8'), report: path.join(repoRoot, 'coverage', 'report') };
}

/** Empties the raw coverage directory: a run reports only its own processes. */
export function resetCoverage(repoRoot: string): string {
  const { raw } = coverageDirectories(repoRoot);
  fs.rmSync(raw, { recursive: true, force: true });
  fs.mkdirSync(raw, { recursive: true });
  return raw;
}

/** Sums c8's per-file summary by top-level folder. */
export function coverageByFolder(summary: Record<string, FileSummary>, repoRoot: string): FolderCoverage[] {
  const byFolder = new Map<string, FolderCoverage>();
  for (const [file, counts] of Object.entries(summary)) {
    if (file === 'total') continue;
    const folder = path.relative(repoRoot, file).split(path.sep)[0] ?? '';
    const entry = byFolder.get(folder) ?? { folder, lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } };
    entry.lines.total += counts.lines.total;
    entry.lines.covered += counts.lines.covered;
    entry.branches.total += counts.branches.total;
    entry.branches.covered += counts.branches.covered;
    byFolder.set(folder, entry);
  }
  return COVERED_FOLDERS.flatMap((folder) => byFolder.get(folder) ?? []);
}

/** The goal's figure: the folders' counts added up. */
export function combinedCoverage(folders: readonly FolderCoverage[], names: readonly string[]): FolderCoverage {
  const picked = folders.filter((f) => names.includes(f.folder));
  const sum = (pick: (f: FolderCoverage) => Counts): Counts => ({
    total: picked.reduce((n, f) => n + pick(f).total, 0),
    covered: picked.reduce((n, f) => n + pick(f).covered, 0),
  });
  return { folder: names.join(' + '), lines: sum((f) => f.lines), branches: sum((f) => f.branches) };
}

const percent = ({ total, covered }: Counts) => (total === 0 ? '-' : `${((100 * covered) / total).toFixed(1)}%`);

export function coverageTable(folders: readonly FolderCoverage[]): string {
  const rows = [...folders, combinedCoverage(folders, GOAL_FOLDERS)].map((f) => [f.folder, percent(f.lines), `${f.lines.covered}/${f.lines.total}`, percent(f.branches), `${f.branches.covered}/${f.branches.total}`]);
  return formatTable(['folder', 'lines', '', 'branches', ''], rows);
}

/** Runs `c8 report` over the raw coverage and returns the per-folder figures. */
export async function reportCoverage(repoRoot: string): Promise<FolderCoverage[]> {
  const { raw, report } = coverageDirectories(repoRoot);
  const c8 = path.join(repoRoot, 'node_modules', '.bin', 'c8');
  const args = ['report', '--temp-directory', raw, '--reports-dir', report, '--reporter=json-summary', '--reporter=html', '--exclude-after-remap', ...COVERED_FOLDERS.flatMap((f) => ['--include', `${f}/**`])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(c8, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`c8 report exited with code ${code}`))));
  });
  const summary = JSON.parse(fs.readFileSync(path.join(report, 'coverage-summary.json'), 'utf8')) as Record<string, FileSummary>;
  return coverageByFolder(summary, repoRoot);
}
