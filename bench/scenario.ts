// A benchmark scenario: measures ours and its reference in the same run and says what it found.
// The runner (benchRun.ts) adds the mode, the timing and the machine.
import type { BenchContext } from './benchContext.ts';
import type { ChartSpec, ComparisonRow, GoalCheck, Measurement, ScenarioName, ScenarioResult } from './benchResult.ts';
import type { OpenLoopResult } from './load/openLoopLoad.ts';
import { GENERATOR_SATURATED, type GeneratorCpu } from './load/loadSpec.ts';

export type ScenarioFindings = Pick<ScenarioResult, 'parameters' | 'measurements' | 'rows' | 'goals' | 'charts' | 'notes'>;

export interface Scenario {
  name: ScenarioName;
  title: string;
  run(context: BenchContext): Promise<ScenarioFindings>;
}

export function latencyMeasurement(id: string, label: string, subject: 'ours' | 'reference', result: OpenLoopResult & { generatorCpu?: GeneratorCpu }): Measurement {
  return {
    id,
    label,
    subject,
    latency: result.histogram.summary(),
    ...(Number.isFinite(result.targetRate) ? { targetRate: result.targetRate } : {}),
    achievedRate: Math.round(result.achievedRate * 10) / 10,
    errors: result.errors,
    details: {
      peakInFlight: result.peakInFlight,
      notSent: result.notSent,
      errorSamples: result.errorSamples,
      ...(result.generatorCpu ? { generatorCpu: result.generatorCpu, generatorSaturated: result.generatorCpu.coreShare > GENERATOR_SATURATED } : {}),
    },
  };
}

/** The share of a core the load generator of a measurement used, in percent (NaN when it ran in-process). */
export function generatorCpuPercent(measurement: Measurement): number {
  const cpu = measurement.details?.generatorCpu as GeneratorCpu | undefined;
  return cpu ? Math.round(cpu.coreShare * 100) : Number.NaN;
}

export function ratioOf(ours: number, reference: number | undefined): number | undefined {
  return reference === undefined || !Number.isFinite(reference) || reference === 0 || !Number.isFinite(ours) ? undefined : Math.round((ours / reference) * 100) / 100;
}

export function row(label: string, unit: string, ours: number, reference?: { label: string; value: number | undefined; note?: string }): ComparisonRow {
  const value = reference?.value;
  return {
    label,
    unit,
    ours,
    ...(value !== undefined && Number.isFinite(value) ? { reference: value, referenceLabel: reference!.label, ratio: ratioOf(ours, value) } : {}),
    ...(reference?.note ? { referenceNote: reference.note } : {}),
  };
}

/** Latency percentiles of several measurements side by side (log scale: references are often 10× faster). */
export function percentileChart(id: string, title: string, measurements: readonly Measurement[]): ChartSpec {
  const categories = ['p50', 'p95', 'p99', 'max'] as const;
  return {
    id,
    title,
    unit: 'ms',
    logScale: true,
    categories: [...categories],
    series: measurements.map((m) => ({ name: m.label, subject: m.subject, values: categories.map((c) => m.latency?.[c] ?? null) })),
  };
}

export function goal(check: Omit<GoalCheck, 'pass'> & { pass?: boolean }, passes: (measured: number) => boolean): GoalCheck {
  return { ...check, pass: check.pass ?? (Number.isFinite(check.measured) && passes(check.measured)) };
}

/** Notes on open-loop runs that fell behind (operations never sent) or had failures. */
export function loadNotes(measurements: readonly Measurement[]): string[] {
  const notes: string[] = [];
  for (const m of measurements) {
    const notSent = (m.details?.notSent as number | undefined) ?? 0;
    if (notSent > 0) notes.push(`${m.label}: fell behind its schedule; ${notSent.toLocaleString('en')} operations were not sent when the run reached 1.5× its planned time (achieved ${m.achievedRate}/s of ${m.targetRate}/s).`);
    if (m.errors) notes.push(`${m.label}: ${m.errors} failed, e.g. ${JSON.stringify((m.details?.errorSamples as string[] | undefined)?.[0] ?? '')}`);
    const cpu = m.details?.generatorCpu as GeneratorCpu | undefined;
    if (cpu && cpu.coreShare > GENERATOR_SATURATED) {
      notes.push(`${m.label}: the load generator itself used ${Math.round(cpu.coreShare * 100)}% of a core, so it was (near) saturated: part of this latency is its own queueing, not the system's.`);
    }
  }
  return notes;
}
