// Where the local stack keeps its downloads, data, logs, pid files and generated
// configuration. Everything lives under one directory (`.stack/` by default) so
// `outflow stack down --wipe` can remove it all and git can ignore it all.
import path from 'node:path';
import type { Config } from '../../lib/config.ts';

export interface StackLayout {
  readonly root: string;
  /** Unpacked artifacts fetched through Maven (re-creatable from the local Maven repository). */
  readonly dist: string;
  readonly data: (component: string) => string;
  readonly logFile: (component: string) => string;
  readonly pidFile: (component: string) => string;
  readonly configDir: (component: string) => string;
  readonly runDir: string;
  readonly logsDir: string;
}

export function stackLayout(config: Config): StackLayout {
  const root = config.stack.dir;
  const runDir = path.join(root, 'run');
  const logsDir = path.join(root, 'logs');
  return Object.freeze({
    root,
    dist: config.stack.distDir,
    data: (component: string) => path.join(root, 'data', component),
    logFile: (component: string) => path.join(logsDir, `${component}.log`),
    pidFile: (component: string) => path.join(runDir, `${component}.pid`),
    configDir: (component: string) => path.join(root, 'config', component),
    runDir,
    logsDir,
  });
}
