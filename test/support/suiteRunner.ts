// `npm test`: make sure the local stack is up, run every tap test file against it,
// print one summary line, and stop whatever this run started (and only that).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { config } from '../../lib/config.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { summarizeTap, type TapSummary } from './tapSummary.ts';

export interface SuiteOptions {
  /** Test files or globs; every test file when empty. */
  files: string[];
  /** Run without touching the stack (unit tests need no services). */
  withoutStack: boolean;
}

export async function runTestSuite({ files, withoutStack }: SuiteOptions): Promise<TapSummary> {
  const stack = new LocalStack();
  let runningBefore: string[] = [];
  if (!withoutStack) {
    runningBefore = (await stack.status()).filter((s) => s.pid !== undefined).map((s) => s.name);
    await stack.up();
  }
  try {
    const tap = await runTap(files);
    const summary = summarizeTap(tap.output);
    if (tap.code !== 0 && summary.failed === 0) {
      summary.failed++;
      summary.failures.push(`tap exited with code ${tap.code}`);
    }
    return summary;
  } finally {
    if (!withoutStack) {
      const startedHere = stack.components.map((c) => c.name).filter((name) => !runningBefore.includes(name));
      if (startedHere.length) await stack.down({ names: startedHere });
    }
  }
}

function runTap(files: string[]): Promise<{ code: number; output: string }> {
  const tapBin = path.join(config().repoRoot, 'node_modules', '.bin', 'tap');
  return new Promise((resolve, reject) => {
    const child = spawn(tapBin, ['--reporter=tap', ...files], {
      cwd: config().repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
