#!/usr/bin/env node
// Entry shim: lets the TypeScript CLI run without a build step. On a machine whose `node` is older
// than the project's, it runs itself again with the Node that `npm start` fetched
// (infra/local/nodeRuntime.mjs), so `npx outflow …` runs on the same Node as the services.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fetchedNodeRuntime, runtimeEnv } from '../infra/local/nodeRuntime.mjs';

const runtime = fetchedNodeRuntime();
if (runtime) {
  const child = spawn(runtime.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: runtimeEnv(runtime) });
  // Ctrl-C reaches the child too (same process group); it decides how to stop, this process waits.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => signal !== 'SIGINT' && child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./outflow.ts');
}
