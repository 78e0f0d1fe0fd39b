// Plain JavaScript on purpose: the entry of `npm start`, `npm test` and `npm run bench` on a fresh
// clone. Makes sure of the project's Node (nodeRuntime.mjs) and its node modules, then runs
// `outflow <args>` with that Node, first on PATH for every process it starts.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules } from './ensureNodeModules.mjs';
import { ensureNodeRuntime, runtimeEnv } from './nodeRuntime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runtime = ensureNodeRuntime();
ensureNodeModules(runtime);

const child = spawn(runtime.execPath, [path.join(root, 'bin', 'outflow.js'), ...process.argv.slice(2)], { stdio: 'inherit', env: runtimeEnv(runtime) });
// Ctrl-C reaches the whole process group, the child included: it decides how to stop; this
// process only waits for it. A signal sent to this process alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (signal !== 'SIGINT') child.kill(signal);
  });
}
child.on('error', (error) => {
  console.error(`outflow: could not start ${runtime.execPath}: ${error.message}`);
  process.exit(1);
});
// A child killed by a signal exits as a shell reports it: 128 + the signal's number.
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
