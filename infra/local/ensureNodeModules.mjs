// Plain JavaScript on purpose: it runs before the TypeScript toolchain is installed.
// `npm start` and `npm test` call it (through launch.mjs) so a fresh clone needs no separate
// install step. npm runs on the project's Node (nodeRuntime.mjs), so the packages' `engines`
// are checked against the Node that will run them, not the machine's older one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeRuntime, runtimeEnv } from './nodeRuntime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureNodeModules(runtime) {
  const lock = path.join(root, 'package-lock.json');
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  const upToDate = fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (upToDate) return;
  console.error('installing node modules (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env: runtimeEnv(runtime) });
  if (result.status !== 0) {
    console.error('npm ci failed: check network access to the npm registry, then run `npm ci` by hand');
    process.exit(result.status ?? 1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureNodeModules(ensureNodeRuntime());
}
