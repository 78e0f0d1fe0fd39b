// Plain JavaScript on purpose: it runs before anything is installed, on whatever Node the machine has.
//
// outflow runs on Node 24 (LTS). Where the machine's `node` is older, the Node 24 binary from the
// npm registry is unpacked once into the stack directory and everything runs with it: the platform
// package `node-<os>-<arch>` is the one the registry's `node` package installs, so no other
// download source is needed. A `node` already at 24 or later is used as it is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node release the project runs on where the machine's own is older. */
export const NODE_VERSION = '24.22.3';
export const NODE_MAJOR = Number(NODE_VERSION.split('.')[0]);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the fetched runtime lives: in the checkout's stack directory, whichever stack instance
 * (OUTFLOW_STACK_DIR) a process works on, so the user's stack and the test stack share one copy.
 */
function runtimeDir() {
  return path.join(root, '.stack', 'runtime', `node-${NODE_VERSION}`);
}

function platformPackage() {
  const platforms = { linux: 'linux', darwin: 'darwin' };
  const arches = { x64: 'x64', arm64: 'arm64' };
  const platform = platforms[process.platform];
  const arch = arches[process.arch];
  if (!platform || !arch) return undefined;
  return `node-${platform}-${arch}@${NODE_VERSION}`;
}

function fail(message) {
  console.error(`outflow: ${message}`);
  process.exit(1);
}

/** Downloads and unpacks the platform package with the machine's npm and tar. */
function fetchRuntime(target) {
  const spec = platformPackage();
  if (!spec) fail(`Node ${NODE_MAJOR} or later is needed and none can be fetched for ${process.platform}/${process.arch}: install Node ${NODE_MAJOR} and run again`);
  console.error(`this machine's Node is ${process.version}; fetching Node ${NODE_VERSION} (${spec}) from the npm registry into ${path.relative(root, target) || target}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-node-'));
  try {
    const packed = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', scratch], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = packed.stdout?.trim().split('\n').at(-1);
    if (packed.status !== 0 || !tarball) fail(`npm pack ${spec} failed: check access to the npm registry, or install Node ${NODE_MAJOR} and run again`);
    const unpacked = spawnSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch, 'package/bin/node', 'package/LICENSE'], { stdio: 'inherit' });
    if (unpacked.status !== 0) fail(`could not unpack ${tarball} with tar`);
    // Moved into place whole, so an interrupted fetch never leaves a half-written binary behind.
    const staged = `${target}.partial-${process.pid}`;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(staged, { recursive: true, force: true });
    fs.renameSync(path.join(scratch, 'package'), staged);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staged, target);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** OUTFLOW_NODE=machine runs everything on the machine's own node, whatever its version (to compare the two). */
function machineNodeWanted() {
  return process.env.OUTFLOW_NODE === 'machine';
}

/** The fetched runtime's binary when this Node is older and the runtime is already there; else undefined. */
export function fetchedNodeRuntime() {
  if (Number(process.versions.node.split('.')[0]) >= NODE_MAJOR || machineNodeWanted()) return undefined;
  const execPath = path.join(runtimeDir(), 'bin', 'node');
  return fs.existsSync(execPath) ? { execPath, binDir: path.dirname(execPath), fetched: true } : undefined;
}

/**
 * The Node to run the project with: { execPath, binDir }, binDir to put first on PATH so that
 * `node` and `npm` run by children use it too. Fetches the runtime when the machine's is too old.
 */
export function ensureNodeRuntime() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= NODE_MAJOR || machineNodeWanted()) return { execPath: process.execPath, binDir: path.dirname(process.execPath), fetched: false };
  const target = runtimeDir();
  const execPath = path.join(target, 'bin', 'node');
  if (!fs.existsSync(execPath)) fetchRuntime(target);
  const check = spawnSync(execPath, ['--version'], { encoding: 'utf8' });
  if (check.status !== 0 || check.stdout.trim() !== `v${NODE_VERSION}`) {
    fail(`${execPath} does not run (${(check.stderr || check.stdout || String(check.error)).trim()}); delete ${target} to fetch it again`);
  }
  return { execPath, binDir: path.dirname(execPath), fetched: true };
}

/** The environment for children: the runtime's `node` first on PATH. */
export function runtimeEnv(runtime, env = process.env) {
  return { ...env, PATH: `${runtime.binDir}${path.delimiter}${env.PATH ?? ''}` };
}
