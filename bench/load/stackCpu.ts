// Where the machine's CPU goes while a load runs: CPU time of each of the stack's components (a
// process and every process it started, so Postgres counts its backends and its WAL sender), read
// from /proc (Linux) before and after, and the whole machine's from /proc/stat. On a machine that
// runs the whole stack, a command's latency depends less on the command API's own work than on
// everything the pipeline does with what it wrote; this says how much each part does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { LocalStack } from '../../infra/local/localStack.ts';
import { runningPid } from '../../infra/local/processControl.ts';

/** A component of the stack and the pid of its main process. */
export interface ComponentPid {
  name: string;
  pid: number;
}

export interface CpuSnapshot {
  /** CPU ms of each component's process tree (itself, its live descendants, and the children it reaped). */
  components: Map<string, number>;
  /**
   * CPU ms of the whole machine (every core), from /proc/stat, read just before and just after the
   * processes: an interval from one snapshot's first reading to the next one's second encloses
   * every process reading of both, so the machine never counts less than the components.
   */
  machineBefore: number;
  machineAfter: number;
  /** Wall clock, ms. */
  at: number;
}

export interface CpuUse {
  wallMs: number;
  /** Cores the machine has. */
  cores: number;
  /** CPU ms per component over the interval. */
  components: Map<string, number>;
  /** CPU ms the rest of the machine used: load generators, the benchmark, the kernel, other processes. */
  rest: number;
  /** CPU ms of the whole machine. */
  machine: number;
}

/** Every running component of the local stack (infrastructure and services) and its pid. */
export function localStackPids(): ComponentPid[] {
  const stack = new LocalStack({ log: () => {} });
  return [...stack.components, ...stack.services].flatMap((component) => {
    const pid = runningPid(component.pidFile);
    return pid === undefined ? [] : [{ name: component.name, pid }];
  });
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readProcStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [fields[11], fields[12], fields[13], fields[14]].map(Number);
    stats.set(Number(entry), { ppid: Number(fields[1]), ticks: utime! + stime! + cutime! + cstime! });
  }
  return stats;
}

function machineTicks(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait was busy.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

export function cpuSnapshot(components: readonly ComponentPid[]): CpuSnapshot {
  const msPerTick = 1000 / clockTicks();
  const machineBefore = machineTicks() * msPerTick;
  const stats = readProcStats();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  const treeTicks = (root: number): number => {
    let total = 0;
    for (const stack = [root]; stack.length > 0; ) {
      const pid = stack.pop()!;
      total += stats.get(pid)?.ticks ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return total;
  };
  const used = new Map<string, number>();
  for (const { name, pid } of components) if (stats.has(pid)) used.set(name, (used.get(name) ?? 0) + treeTicks(pid) * msPerTick);
  return { components: used, machineBefore, machineAfter: machineTicks() * msPerTick, at: performance.now() };
}

/** How busy the whole machine was over the interval, in percent of all its cores (one decimal). */
export function machineBusyPercent(use: CpuUse): number {
  return Math.round((use.machine / (use.wallMs * use.cores)) * 1000) / 10;
}

/**
 * What each component used between two snapshots. A process tree can lose time when a child exits
 * unreaped by a watched parent, so a component never counts less than 0.
 */
export function cpuUseBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const components = new Map<string, number>();
  let sum = 0;
  for (const [name, ms] of after.components) {
    const used = Math.max(0, ms - (before.components.get(name) ?? ms));
    components.set(name, used);
    sum += used;
  }
  const machine = Math.max(0, after.machineAfter - before.machineBefore);
  return { wallMs: after.at - before.at, cores: navigator.hardwareConcurrency, components, rest: Math.max(0, machine - sum), machine };
}
