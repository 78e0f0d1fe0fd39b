// What a benchmark scenario produces: the raw figures (ours and the reference measured beside
// it in the same run), the checks against ARCHITECTURE.md's goals, and the data of its charts.
// Written as bench/results/<date>-<scenario>.json and rendered into bench/results/latest.md.

export const SCENARIOS = ['commands', 'freshness', 'queries', 'projector-throughput', 'rebuild', 'scale-out', 'memory'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type RunMode = 'full' | 'quick' | 'dry';

/** Percentiles in milliseconds, read off an HdrHistogram (microsecond resolution). */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  /** The whole histogram, HdrHistogram's compressed base64 encoding (values in microseconds). */
  histogram: string;
}

/** One measured figure: a latency distribution, or a single value with its unit. */
export interface Measurement {
  /** Stable identifier within the scenario, e.g. `ours.500` or `reference.raw-pg.500`. */
  id: string;
  label: string;
  subject: 'ours' | 'reference';
  latency?: LatencySummary;
  /** For single-valued figures: events/s, seconds, MiB, count. */
  value?: number;
  unit?: string;
  /** Open-loop load: the rate asked for and the rate achieved (operations/s). */
  targetRate?: number;
  achievedRate?: number;
  /** Operations that failed (non-2xx, exception, timeout); they are not in the histogram. */
  errors?: number;
  /** Anything else worth keeping with the figure. */
  details?: Record<string, unknown>;
}

/** One row of a scenario's table: our figure and the reference measured beside it. */
export interface ComparisonRow {
  /** What is compared, e.g. `p99 at 500 cmd/s`. */
  label: string;
  unit: string;
  ours: number;
  /** Absent when there is no reference for the row (then `referenceNote` says why, if known). */
  reference?: number;
  referenceLabel?: string;
  referenceNote?: string;
  /** ours / reference, when both exist. */
  ratio?: number;
}

/** A figure of ARCHITECTURE.md's "Numbers to reach" table, checked against this run. */
export interface GoalCheck {
  figure: string;
  seedTarget?: string;
  goal: string;
  measured: number;
  unit: string;
  pass: boolean;
  /** The reference measured beside it, when the table names one. */
  reference?: { label: string; value: number; unit: string };
  /** ours / reference, where the table's goal is a ratio. */
  ratio?: number;
}

/**
 * Data for one SVG chart: grouped bars. For latency, categories are percentiles
 * (p50, p95, p99, max) and each series is a subject (ours, a reference); for throughput,
 * categories are stores or modes. `logScale` for values spanning orders of magnitude.
 */
export interface ChartSpec {
  /** File-name safe, unique within the scenario. */
  id: string;
  title: string;
  unit: string;
  categories: string[];
  series: { name: string; subject: 'ours' | 'reference'; values: (number | null)[] }[];
  logScale?: boolean;
}

export interface MachineInfo {
  hostname: string;
  platform: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the scenario started. */
  loadAverage: number[];
  node: string;
  /** Versions of the stack's components (Postgres, Kafka, Debezium, Apicurio, Elasticsearch, Redis). */
  components: Record<string, string>;
  /** Versions of the npm packages outflow depends on, as installed. */
  packages: Record<string, string>;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  mode: RunMode;
  /** ISO timestamp. */
  startedAt: string;
  durationSeconds: number;
  /** The sizes and rates this run used. */
  parameters: Record<string, unknown>;
  measurements: Measurement[];
  rows: ComparisonRow[];
  goals: GoalCheck[];
  charts: ChartSpec[];
  /** Caveats, references that could not be measured and why, what was observed. */
  notes: string[];
  machine: MachineInfo;
}
