// The dependency rule of docs/architecture.md, as dependency-cruiser checks it against
// .dependency-cruiser.cjs: every source folder, each import of it (type-only imports included).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// read-models/ arrives with the read-model move; the rules already cover it.
const sourceFolders = ['bin', 'lib', 'schemas', 'command-api', 'connectors', 'projectors', 'read-models', 'query-api', 'status', 'infra', 'bench'];

async function cruiseSources(): Promise<ICruiseResult> {
  const cwd = process.cwd();
  process.chdir(repoRoot);
  try {
    const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
    const tsConfig = extractTSConfig('tsconfig.json');
    const folders = sourceFolders.filter((folder) => fs.existsSync(folder));
    const { output } = await cruise(folders, { ...options, validate: true }, {}, { tsConfig });
    if (typeof output === 'string') throw new Error('dependency-cruiser answered with a report instead of its result');
    return output;
  } finally {
    process.chdir(cwd);
  }
}

t.test('every import follows the dependency rule', async (t) => {
  const result = await cruiseSources();
  const violations = result.summary.violations.map((violation) => {
    const cycle = violation.cycle?.length ? ` (cycle: ${violation.cycle.map((step) => step.name).join(' → ')})` : '';
    return `${violation.rule.name}: ${violation.from} → ${violation.to}${cycle}`;
  });
  t.same(violations, [], violations.length ? `fix each import, or move what it needs to where both may import it:\n${violations.join('\n')}` : 'no violations');
  t.ok(result.summary.totalCruised > 200, `the cruise saw the sources (${result.summary.totalCruised} modules)`);
});

t.test('every import of the project resolves, so no rule is passed by a dependency that was never seen', async (t) => {
  const result = await cruiseSources();
  const unresolved = result.modules.flatMap((module) =>
    module.dependencies.filter((dependency) => dependency.couldNotResolve && dependency.module.startsWith('.')).map((dependency) => `${module.source} → ${dependency.module}`),
  );
  t.same(unresolved, []);
  const worker = result.modules.find((module) => module.source === 'projectors/runtime/projectorWorker.ts');
  t.ok(worker?.dependencies.some((dependency) => dependency.resolved === 'projectors/runtime/liveGenerations.ts'), 'a type-only import counts');
});
