import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Measurement, ScenarioName, ScenarioResult } from '../../bench/benchResult.ts';
import { CAPACITY_DOC_FILE, REGENERATE_CAPACITY_DOC, withCapacityPlan } from '../../bench/capacity/capacityDoc.ts';
import { capacityInputsFrom, readCapacityInputs } from '../../bench/capacity/capacityInputs.ts';
import { registeredProjectionShapes } from '../../bench/capacity/registeredProjections.ts';
import { CapacityInputMissing } from '../../lib/errors.ts';
import { config } from '../../lib/config.ts';

const projections = registeredProjectionShapes();
const published = path.join(config().repoRoot, 'docs', 'benchmarks');

function result(scenario: ScenarioName, measurements: Measurement[], parameters: Record<string, unknown> = {}, mode: ScenarioResult['mode'] = 'full'): ScenarioResult {
  return {
    scenario, title: scenario, mode, startedAt: '2027-01-02T03:04:05.000Z', durationSeconds: 1, parameters, measurements, rows: [], goals: [], charts: [], notes: [],
    machine: { hostname: 'h', platform: 'linux', cpuModel: 'cpu', cores: 4, memoryGiB: 8, loadAverage: [], node: 'v24', components: {}, packages: {} },
  };
}
const rate = (id: string, achievedRate: number, targetRate?: number): Measurement => ({ id, label: id, subject: 'ours', achievedRate, ...(targetRate ? { targetRate } : {}) });
const value = (id: string, v: number): Measurement => ({ id, label: id, subject: 'ours', value: v, unit: 'x' });

function complete(): ScenarioResult[] {
  return [
    result('commands', [rate('ours.500', 450, 500), rate('ours.saturation', 700), rate('reference.raw-pg.500', 500, 500), rate('reference.raw-pg.1000', 990, 1000)]),
    result('queries', [rate('ours.saturation', 9000), value('reference.redis-benchmark', 60000), rate('reference.elasticsearch.250', 250, 250), rate('reference.elasticsearch.saturation', 1200)], { searchShare: 0.05 }),
    result('projector-throughput', [...projections.map((p) => value(`ours.${p.name}`, 20000)), value('reference.bulk.product-search', 40000)], { partitions: 12 }),
  ];
}

t.test('the published run gives every input, each with its scenario, measurement id and date', async (t) => {
  const inputs = readCapacityInputs(published, projections);
  t.equal(inputs.commandApi.measurementId, 'ours.saturation', 'the closed-loop ceiling, not an open-loop rate');
  t.equal(inputs.commandApi.kind, 'saturation');
  t.equal(inputs.rawPgWrites.measurementId, 'reference.raw-pg.saturation');
  t.equal(inputs.rawPgWrites.kind, 'saturation');
  t.equal(inputs.queryApi.measurementId, 'ours.saturation');
  t.equal(inputs.redisOps.measurementId, 'reference.redis-benchmark');
  t.equal(inputs.elasticsearchSearches.measurementId, 'reference.elasticsearch.saturation');
  t.equal(inputs.elasticsearchSearches.kind, 'saturation');
  t.equal(inputs.commandApi.machineCores, 2);
  t.match(inputs.commandApi.startedAt, /^2026-12-07T/);
  for (const p of projections) t.equal(inputs.workerEventsPerSecond[p.name]!.measurementId, `ours.${p.name}`);
  t.ok(inputs.scaleOut);
});

t.test('a saturation measurement is preferred to the open-loop runs; without one, the highest achieved rate says whether it fell behind', async (t) => {
  const inputs = capacityInputsFrom(complete(), 'dir', projections);
  t.same([inputs.commandApi.measurementId, inputs.commandApi.value, inputs.commandApi.kind], ['ours.saturation', 700, 'saturation']);
  t.same([inputs.rawPgWrites.measurementId, inputs.rawPgWrites.value, inputs.rawPgWrites.kind], ['reference.raw-pg.1000', 990, 'floor']);
  t.same([inputs.elasticsearchSearches.measurementId, inputs.elasticsearchSearches.value], ['reference.elasticsearch.saturation', 1200]);
  t.equal(inputs.commandApi.machineCores, 4);
  t.equal(inputs.searchShare.value, 0.05);
  t.equal(inputs.scaleOut, undefined, 'no scale-out result: no scale-out figures, and nothing else changes');
});

t.test('a missing figure is an error naming the scenario and the measurement, never a default', async (t) => {
  const without = (scenario: ScenarioName, id: string) => complete().map((r) => (r.scenario === scenario ? { ...r, measurements: r.measurements.filter((m) => m.id !== id) } : r));
  const noQueries = (() => {
    try {
      capacityInputsFrom(complete().filter((r) => r.scenario !== 'queries'), 'dir', projections);
    } catch (error) {
      return error;
    }
  })();
  t.ok(noQueries instanceof CapacityInputMissing, 'a CapacityInputMissing');
  t.match((noQueries as CapacityInputMissing).code, 'OUTFLOW_ERR_CAPACITY_INPUT_MISSING');
  t.match((noQueries as Error).message, /needs ours\.saturation of the queries scenario, and dir holds no result of queries \(no \*-queries\.json\)\. Fix: run `npm run bench -- --scenarios queries --out dir`/);
  t.throws(() => capacityInputsFrom(without('queries', 'reference.redis-benchmark'), 'dir', projections), /needs reference\.redis-benchmark of the queries scenario, and dir has no measurement reference\.redis-benchmark/);
  t.throws(() => capacityInputsFrom(without('projector-throughput', 'ours.sales-report'), 'dir', projections), /needs ours\.sales-report of the projector-throughput scenario/);
  t.throws(() => capacityInputsFrom(without('commands', 'ours.saturation').map((r) => (r.scenario === 'commands' ? { ...r, measurements: r.measurements.filter((m) => !m.id.startsWith('ours.')) } : r)), 'dir', projections), /needs ours\.saturation \(or open-loop ours\.<rate>\) of the commands scenario/);
  t.throws(() => capacityInputsFrom(complete().map((r) => (r.scenario === 'queries' ? { ...r, parameters: {} } : r)), 'dir', projections), /needs parameters\.searchShare of the queries scenario/);
  t.throws(() => capacityInputsFrom(complete().map((r) => (r.scenario === 'commands' ? { ...r, mode: 'dry' } : r)), 'dir', projections), /only a dry run of commands/);
  t.throws(() => capacityInputsFrom(without('queries', 'reference.redis-benchmark').map((r) => (r.scenario === 'queries' ? { ...r, measurements: [...r.measurements, value('reference.redis-benchmark', 0)] } : r)), 'dir', projections), /has 0 there, not a positive figure/);
});

t.test('docs/capacity.md holds the plan the command gives for the design\'s target from docs/benchmarks/', async (t) => {
  const page = fs.readFileSync(CAPACITY_DOC_FILE, 'utf8');
  t.equal(page, withCapacityPlan(page), `run \`${REGENERATE_CAPACITY_DOC}\` and commit docs/capacity.md`);
});
