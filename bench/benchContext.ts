// What every scenario of one `outflow bench` run shares: the config, the mode and the sizes it
// implies, the connections, a run id for private names, progress output, and the preloaded event
// history (built once, by the first scenario that needs it, and deleted at the end of the run).
import crypto from 'node:crypto';
import type { Config } from '../lib/config.ts';
import type { MachineInfo, RunMode } from './benchResult.ts';
import type { BenchConnections } from './benchConnections.ts';
import type { EventHistory } from './history/eventHistory.ts';
import { readMachineInfo } from './machineInfo.ts';
import type { ProgressLine } from './progressLine.ts';

/** The sizes of one mode: full (the figures), quick (< 5 minutes in all), dry (token sizes, a smoke run). */
export interface BenchSizes {
  commandRates: number[];
  commandSeconds: number;
  /** The first is the modest rate of the < 100 ms goal, the last the highest the seed asks for. */
  freshnessRates: number[];
  freshnessSeconds: number;
  queryRates: number[];
  querySeconds: number;
  /** Seconds of load before recording starts at each rate. */
  warmupSeconds: number;
  /** Events in the preloaded history that the throughput, rebuild and scale-out scenarios replay. */
  historyEvents: number;
  /** Rebuild --parallel values. */
  rebuildParallel: number[];
  scaleOutEvents: number;
  memorySeconds: number;
}

export const SIZES: Readonly<Record<RunMode, BenchSizes>> = Object.freeze({
  full: {
    commandRates: [100, 500, 1000],
    commandSeconds: 30,
    freshnessRates: [100, 500],
    freshnessSeconds: 30,
    queryRates: [1000, 5000],
    querySeconds: 30,
    warmupSeconds: 3,
    historyEvents: 1_000_000,
    rebuildParallel: [1, 2],
    scaleOutEvents: 400_000,
    memorySeconds: 20,
  },
  quick: {
    commandRates: [100, 500],
    commandSeconds: 8,
    freshnessRates: [100, 200],
    freshnessSeconds: 10,
    queryRates: [1000],
    querySeconds: 8,
    warmupSeconds: 1,
    historyEvents: 40_000,
    rebuildParallel: [1, 2],
    scaleOutEvents: 40_000,
    memorySeconds: 5,
  },
  dry: {
    commandRates: [20],
    commandSeconds: 1,
    freshnessRates: [10],
    freshnessSeconds: 1,
    queryRates: [50],
    querySeconds: 1,
    warmupSeconds: 0,
    historyEvents: 2_000,
    rebuildParallel: [1, 2],
    scaleOutEvents: 2_000,
    memorySeconds: 1,
  },
});

export interface BenchContext {
  config: Config;
  mode: RunMode;
  sizes: BenchSizes;
  /** Short random id: part of every topic, key, index, table and group the run creates. */
  runId: string;
  connections: BenchConnections;
  progress: ProgressLine;
  /** The machine as it is now (load average included): read at the start of each scenario. */
  machine(): Promise<MachineInfo>;
  /** The preloaded history, built on first use. */
  history(): Promise<EventHistory>;
  /** Cleanups registered by scenarios, run (last first) when the run ends. */
  onClose(cleanup: () => Promise<void>): void;
}

export function newRunId(): string {
  return crypto.randomBytes(3).toString('hex');
}

export function createBenchContext(options: {
  config: Config;
  mode: RunMode;
  connections: BenchConnections;
  progress: ProgressLine;
  buildHistory: (context: BenchContext) => Promise<EventHistory>;
}): BenchContext & { close(): Promise<void> } {
  const cleanups: (() => Promise<void>)[] = [];
  let history: Promise<EventHistory> | undefined;
  const context: BenchContext & { close(): Promise<void> } = {
    config: options.config,
    mode: options.mode,
    sizes: SIZES[options.mode],
    runId: newRunId(),
    connections: options.connections,
    progress: options.progress,
    machine: () => readMachineInfo(options.config, options.connections),
    history() {
      history ??= options.buildHistory(context);
      return history;
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
    async close() {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          options.progress.note(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    },
  };
  return context;
}
