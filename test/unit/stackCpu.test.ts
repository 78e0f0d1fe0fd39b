// The bench's CPU accounting: a component's CPU is its whole process tree's, children that
// exited included, and the rest of the machine is what no component used.
import { spawn } from 'node:child_process';
import t from 'tap';
import { cpuSnapshot, cpuUseBetween, type CpuSnapshot } from '../../bench/load/stackCpu.ts';

/** A child that burns `cpuMs` of its own CPU time (not wall time: a busy machine only makes it take longer), then exits. */
function burnInChild(cpuMs: number): Promise<void> {
  const script = `const until = ${cpuMs * 1000}; while (process.cpuUsage().user + process.cpuUsage().system < until) {}`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the burning child exited with ${code}`))));
  });
}

t.test("a component's CPU includes a child process it started and reaped", async (t) => {
  const me = [{ name: 'this-test', pid: process.pid }];
  const before = cpuSnapshot(me);
  await burnInChild(300);
  const use = cpuUseBetween(before, cpuSnapshot(me));
  // The child's 300 ms (plus its start-up) reach this process's reaped-children time.
  t.ok(use.components.get('this-test')! >= 290, `counted ${use.components.get('this-test')} ms`);
  t.ok(use.machine >= use.components.get('this-test')!, 'the machine used at least what the component did');
  t.equal(use.rest, Math.max(0, use.machine - use.components.get('this-test')!));
});

t.test('a component whose process is gone is left out, and nothing counts below zero', async (t) => {
  const snapshot = cpuSnapshot([{ name: 'gone', pid: 2 ** 22 + 1 }]);
  t.notOk(snapshot.components.has('gone'));
  const before: CpuSnapshot = { components: new Map([['a', 500]]), machineBefore: 10_000, machineAfter: 10_000, at: 0 };
  const after: CpuSnapshot = { components: new Map([['a', 400], ['b', 50]]), machineBefore: 10_300, machineAfter: 10_300, at: 1000 };
  const use = cpuUseBetween(before, after);
  t.equal(use.components.get('a'), 0, 'a tree that lost time (an unreaped child exited) counts 0, not less');
  t.equal(use.components.get('b'), 0, 'a component that appeared meanwhile has no before: 0');
  t.equal(use.machine, 300);
  t.equal(use.rest, 300);
  t.equal(use.wallMs, 1000);
});
