// docs/capacity.md's plan for the design's target (10,000 writes/s, 1,000,000 reads/s), generated
// from the published benchmark run (docs/benchmarks/) by the same code as `outflow bench capacity`,
// so the page cannot drift from the figures or the model (a unit test regenerates and compares).
// Run: node --import=tsx bench/capacity/capacityDoc.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_ASSUMPTIONS } from './capacityAssumptions.ts';
import { readCapacityInputs } from './capacityInputs.ts';
import { planCapacity, type CapacityPlan, type CapacityTarget } from './capacityModel.ts';
import { renderCapacityPlan } from './capacityReport.ts';
import { registeredProjectionShapes } from './registeredProjections.ts';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CAPACITY_DOC_FILE = path.join(repoRoot, 'docs', 'capacity.md');
/** The published run, relative to the repository root (as the plan quotes it). */
export const PUBLISHED_RESULTS = 'docs/benchmarks';
export const DESIGN_TARGET: Readonly<CapacityTarget> = Object.freeze({ writesPerSecond: 10_000, readsPerSecond: 1_000_000 });
export const REGENERATE_CAPACITY_DOC = 'node --import=tsx bench/capacity/capacityDoc.ts';

const BEGIN = `<!-- capacity-plan:begin: generated from ${PUBLISHED_RESULTS}/ by \`${REGENERATE_CAPACITY_DOC}\` -->`;
const END = '<!-- capacity-plan:end -->';

/** The plan `outflow bench capacity` gives for results in dir (relative to the repository root, or absolute). */
export function capacityPlanFor(resultsDir: string, target: CapacityTarget): CapacityPlan {
  const projections = registeredProjectionShapes();
  const inputs = readCapacityInputs(path.resolve(repoRoot, resultsDir), projections);
  return planCapacity({ ...inputs, resultsDir }, target, projections, DEFAULT_ASSUMPTIONS);
}

/** The page with the text between its markers replaced by the plan for the design's target from the published run. */
export function withCapacityPlan(page: string): string {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`docs/capacity.md lacks the markers of its plan: ${BEGIN} … ${END}`);
  return `${page.slice(0, begin + BEGIN.length)}\n${renderCapacityPlan(capacityPlanFor(PUBLISHED_RESULTS, DESIGN_TARGET))}${page.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  fs.writeFileSync(CAPACITY_DOC_FILE, withCapacityPlan(fs.readFileSync(CAPACITY_DOC_FILE, 'utf8')));
  console.log(`wrote ${path.relative(process.cwd(), CAPACITY_DOC_FILE)}`);
}
