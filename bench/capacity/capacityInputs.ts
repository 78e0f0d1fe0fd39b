// The measured figures a capacity plan sizes from, read off the bench's own result files
// (<date>-<scenario>.json, the newest of each scenario): none is typed in by hand, each keeps the
// scenario, the measurement id and the date it was measured, and a figure the results lack is a
// CapacityInputMissing naming the scenario and measurement, never a default.
import { CapacityInputMissing } from '../../lib/errors.ts';
import type { Measurement, ScenarioName, ScenarioResult } from '../benchResult.ts';
import { readScenarioResults } from '../report/resultFiles.ts';

/**
 * How far the figure is from the unit's ceiling: `saturation` was pushed until it could take no
 * more (a closed loop, or an open loop that fell behind); `floor` carried every operation asked
 * for and was never pushed further, so the real ceiling is higher and counts sized from it are
 * upper bounds.
 */
export type InputKind = 'saturation' | 'floor' | 'setting';

export interface MeasuredInput {
  value: number;
  unit: string;
  scenario: ScenarioName;
  /** The measurement's id in the result file, or `parameters.<name>` for a setting the run recorded. */
  measurementId: string;
  /** When the scenario ran (the result's startedAt). */
  startedAt: string;
  /** The cores of the machine it ran on (machine.cores): the whole stack shared them. */
  machineCores: number;
  kind: InputKind;
  /** How the value was read off the measurement. */
  derivation: string;
}

export interface CapacityInputs {
  resultsDir: string;
  /** Commands/s one command API process carried, with the whole stack on the same cores. */
  commandApi: MeasuredInput;
  /** The command mix written with raw pg (no HTTP, no Avro): the write Postgres' own share. */
  rawPgWrites: MeasuredInput;
  /** GET /orders/:id per second one query API process answered. */
  queryApi: MeasuredInput;
  /** The share of reads that are product searches (Elasticsearch); the rest are order lookups (Redis). */
  searchShare: MeasuredInput;
  /** GET requests/s one Redis server answered (redis-benchmark). */
  redisOps: MeasuredInput;
  /** Searches/s one copy of the product index answered, straight to Elasticsearch. */
  elasticsearchSearches: MeasuredInput;
  /** Index requests/s one Elasticsearch node took in _bulk (one request per event). */
  elasticsearchIndexing: MeasuredInput;
  /** Events/s one worker process applied, by projection name. */
  workerEventsPerSecond: Readonly<Record<string, MeasuredInput>>;
  /** Partitions per topic the projector-throughput history had. */
  partitionsMeasured: MeasuredInput;
  /** One worker's rate and two workers' rate on one projection (scale-out), when the results hold them. */
  scaleOut?: { before: MeasuredInput; after: MeasuredInput };
}

/** Reads the newest result of each scenario in dir and picks out every figure the plan needs. */
export function readCapacityInputs(resultsDir: string, projections: readonly { name: string; store: string }[]): CapacityInputs {
  return capacityInputsFrom(readScenarioResults(resultsDir), resultsDir, projections);
}

export function capacityInputsFrom(results: readonly ScenarioResult[], resultsDir: string, projections: readonly { name: string; store: string }[]): CapacityInputs {
  const source = new ResultSource(results, resultsDir);
  const elasticsearch = projections.find((p) => p.store === 'elasticsearch');
  if (!elasticsearch) throw new Error('no projection writes to Elasticsearch: the plan sizes Elasticsearch from one');
  const workerEventsPerSecond: Record<string, MeasuredInput> = {};
  for (const projection of projections) {
    workerEventsPerSecond[projection.name] = source.value('projector-throughput', `ours.${projection.name}`, 'events/s', 'events/s of one worker process replaying the history from offset 0, start-up included');
  }
  return {
    resultsDir,
    commandApi: source.ceiling('commands', 'ours', 'cmd/s', 'command API'),
    rawPgWrites: source.ceiling('commands', 'reference.raw-pg', 'cmd/s', 'raw pg writes of the command mix'),
    queryApi: source.closedLoop('queries', 'ours.saturation', 'req/s', 'GET /orders/:id'),
    searchShare: source.parameter('queries', 'searchShare', 'share of reads'),
    redisOps: source.value('queries', 'reference.redis-benchmark', 'req/s', 'redis-benchmark -t get, 50 clients, closed loop: one Redis server\'s GETs/s'),
    elasticsearchSearches: source.ceiling('queries', 'reference.elasticsearch', 'req/s', 'Elasticsearch search, straight to the node'),
    elasticsearchIndexing: source.value('projector-throughput', `reference.bulk.${elasticsearch.name}`, 'documents/s', '_bulk index requests/s of one node (one request per event, 5,000 per _bulk)'),
    workerEventsPerSecond,
    partitionsMeasured: source.parameter('projector-throughput', 'partitions', 'partitions per topic'),
    ...source.scaleOut(),
  };
}

class ResultSource {
  constructor(private readonly results: readonly ScenarioResult[], private readonly resultsDir: string) {}

  private result(scenario: ScenarioName, measurement: string): ScenarioResult {
    const result = this.results.find((r) => r.scenario === scenario);
    if (!result) throw new CapacityInputMissing(scenario, measurement, this.resultsDir, `holds no result of ${scenario} (no *-${scenario}.json)`);
    if (result.mode === 'dry') throw new CapacityInputMissing(scenario, measurement, this.resultsDir, `holds only a dry run of ${scenario}, whose figures are not measurements`);
    return result;
  }

  private input(result: ScenarioResult, measurementId: string, value: number, unit: string, kind: InputKind, derivation: string): MeasuredInput {
    return { value, unit, scenario: result.scenario, measurementId, startedAt: result.startedAt, machineCores: result.machine.cores, kind, derivation };
  }

  private positive(result: ScenarioResult, id: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new CapacityInputMissing(result.scenario, id, this.resultsDir, `has ${JSON.stringify(value)} there, not a positive figure`);
    }
    return value;
  }

  /** A single-valued measurement (`value`). */
  value(scenario: ScenarioName, id: string, unit: string, derivation: string): MeasuredInput {
    const result = this.result(scenario, id);
    const measurement = result.measurements.find((m) => m.id === id);
    if (!measurement) throw new CapacityInputMissing(scenario, id, this.resultsDir, `has no measurement ${id} in its ${scenario} result of ${result.startedAt.slice(0, 10)}`);
    return this.input(result, id, this.positive(result, id, measurement.value), unit, 'saturation', derivation);
  }

  /** A closed-loop load's achieved rate: as many as its clients got answered. */
  closedLoop(scenario: ScenarioName, id: string, unit: string, what: string): MeasuredInput {
    const result = this.result(scenario, id);
    const measurement = result.measurements.find((m) => m.id === id);
    if (!measurement) throw new CapacityInputMissing(scenario, id, this.resultsDir, `has no measurement ${id} in its ${scenario} result of ${result.startedAt.slice(0, 10)}`);
    return this.input(result, id, this.positive(result, id, measurement.achievedRate), unit, 'saturation', `${what}: achieved rate, closed loop`);
  }

  /**
   * `<prefix>.saturation` (closed loop) when the result has it; otherwise the highest rate the
   * open-loop runs `<prefix>.<rate>` achieved: a saturation if that run fell behind (achieved
   * under 95% of the rate asked), else a floor. Results written before the bench measured
   * saturation have only the open-loop runs.
   */
  ceiling(scenario: ScenarioName, prefix: string, unit: string, what: string): MeasuredInput {
    const saturationId = `${prefix}.saturation`;
    const result = this.result(scenario, saturationId);
    if (result.measurements.some((m) => m.id === saturationId)) return this.closedLoop(scenario, saturationId, unit, what);
    const openLoop = result.measurements.filter((m): m is Measurement & { achievedRate: number; targetRate: number } =>
      new RegExp(`^${prefix.replace(/[.]/g, '\\.')}\\.\\d+$`).test(m.id) && typeof m.achievedRate === 'number' && typeof m.targetRate === 'number');
    const highest = openLoop.sort((a, b) => b.achievedRate - a.achievedRate)[0];
    if (!highest) throw new CapacityInputMissing(scenario, `${saturationId} (or open-loop ${prefix}.<rate>)`, this.resultsDir, `has neither in its ${scenario} result of ${result.startedAt.slice(0, 10)}`);
    const fellBehind = highest.achievedRate < highest.targetRate * 0.95;
    const achieved = `${what}: highest achieved rate of the open-loop runs (${formatted(highest.achievedRate)} of ${formatted(highest.targetRate)}/s asked`;
    return this.input(
      result,
      highest.id,
      this.positive(result, highest.id, highest.achievedRate),
      unit,
      fellBehind ? 'saturation' : 'floor',
      fellBehind
        ? `${achieved}, so it was overloaded: its ceiling); the result predates ${saturationId}`
        : `${achieved}, all of them: a floor, the ceiling is higher); the result predates ${saturationId}`,
    );
  }

  /** A setting the run recorded in its parameters. */
  parameter(scenario: ScenarioName, name: string, unit: string): MeasuredInput {
    const id = `parameters.${name}`;
    const result = this.result(scenario, id);
    return this.input(result, id, this.positive(result, id, result.parameters[name]), unit, 'setting', `the ${scenario} run's ${name}`);
  }

  scaleOut(): { scaleOut?: { before: MeasuredInput; after: MeasuredInput } } {
    const result = this.results.find((r) => r.scenario === 'scale-out' && r.mode !== 'dry');
    const has = (id: string) => result?.measurements.some((m) => m.id === id && typeof m.value === 'number');
    if (!has('ours.rate-before') || !has('ours.rate-after')) return {};
    return {
      scaleOut: {
        before: this.value('scale-out', 'ours.rate-before', 'events/s', 'one worker on the projection'),
        after: this.value('scale-out', 'ours.rate-after', 'events/s', 'two workers on the projection, after the rebalance'),
      },
    };
  }
}

function formatted(value: number): string {
  return Math.round(value).toLocaleString('en');
}
