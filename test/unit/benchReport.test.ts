// The benchmark report: SVG charts, latest.md, and the result files it is rebuilt from.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { ChartSpec, ScenarioResult } from '../../bench/benchResult.ts';
import { formatNumber, formatRatio, renderMarkdownReport } from '../../bench/report/markdownReport.ts';
import { readScenarioResults, writeReport, writeScenarioResult } from '../../bench/report/resultFiles.ts';
import { compactNumber, renderChartSvg } from '../../bench/report/svgChart.ts';

const latencyChart: ChartSpec = {
  id: 'latency',
  title: 'p99 <500 cmd/s> & "friends"',
  unit: 'ms',
  categories: ['p50', 'p95', 'p99', 'max'],
  series: [
    { name: 'outflow', subject: 'ours', values: [0.42, 3.15, 12.3, 57] },
    { name: 'raw pg', subject: 'reference', values: [0.3, 2, null, 40] },
    { name: 'kafka <direct>', subject: 'reference', values: [1, 2, 3, 4] },
  ],
};

function scenarioResult(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario: 'commands',
    title: 'Command latency',
    mode: 'full',
    startedAt: '2025-03-04T10:22:05.000Z',
    durationSeconds: 192,
    parameters: { rate: 500, seconds: 60, stores: ['pg'] },
    measurements: [],
    rows: [
      { label: 'p99 at 500 cmd/s', unit: 'ms', ours: 3.15, reference: 5.08, referenceLabel: 'raw pg', ratio: 0.62 },
      { label: 'throughput', unit: 'cmd/s', ours: 12345.4 },
      { label: 'rebuild', unit: 's', ours: 42.17, referenceNote: 'no reference without Debezium' },
    ],
    goals: [
      { figure: 'command p99', seedTarget: '< 10 ms', goal: '< 5 ms', measured: 3.15, unit: 'ms', pass: true, reference: { label: 'raw pg', value: 5.08, unit: 'ms' }, ratio: 0.62 },
      { figure: 'events/s per worker', goal: '≥ 20,000', measured: 12345, unit: 'events/s', pass: false },
    ],
    charts: [latencyChart],
    notes: ['Kafka ran with one broker.', 'The reference | shares the machine.'],
    machine: {
      hostname: 'bench-1',
      platform: 'linux x64',
      cpuModel: 'AMD EPYC 7B13',
      cores: 8,
      memoryGiB: 31.3,
      loadAverage: [0.52, 0.4, 0.33],
      node: 'v20.19.0',
      components: { postgres: '16.4', kafka: '3.8.0' },
      packages: { kafkajs: '2.2.4', pg: '8.13.1' },
    },
    ...overrides,
  };
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

t.test('compact bar labels and report numbers', async (t) => {
  t.same([0.42, 3.14, 57.4, 12345, 999.7, 4_500_000, 0, -3.14].map(compactNumber), ['0.42', '3.1', '57', '12.3k', '1k', '4.5M', '0', '-3.1']);
  t.same([0.4237, 3.149, 42.17, 318.6, 12345.4].map((v) => formatNumber(v, 'ms')), ['0.42', '3.15', '42.2', '319', '12,345']);
  t.equal(formatNumber(12345.6, 'events/s'), '12,346');
  t.equal(formatNumber(42.4, 'cmd/s'), '42', 'rates are whole numbers');
  t.same([0.6234, 1.5, 12.34, 0.004].map(formatRatio), ['0.62×', '1.50×', '12.3×', '0.004×']);
});

t.test('the SVG has a background, a legend swatch per series and a bar per value', async (t) => {
  const svg = renderChartSvg(latencyChart);
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="360"/);
  t.match(svg, /<\/svg>\n$/);
  t.equal(count(svg, /<rect /g), 1 + 3 + 11, 'background, 3 legend swatches, 12 values less one null');
  t.equal(count(svg, />n\/a</g), 1);
  t.match(svg, /p99 &lt;500 cmd\/s&gt; &amp; &quot;friends&quot;/);
  t.notMatch(svg, /<500/, 'no raw < from the title');
  t.match(svg, /kafka &lt;direct&gt;/);
  for (const label of ['0.42', '3.1', '12', '57']) t.match(svg, new RegExp(`>${label.replace('.', '\\.')}</text>`), `value label ${label}`);
  t.equal(renderChartSvg(latencyChart), svg, 'deterministic');
  t.notMatch(svg, /@import|<style|url\(/, 'self-contained');
});

t.test('ours and references get different colours, each reference its own', async (t) => {
  const fills = [...renderChartSvg(latencyChart).matchAll(/<rect x="[\d.]+" y="36" [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  t.equal(fills.length, 3);
  t.equal(new Set(fills).size, 3);
});

t.test('linear y axis has 4–6 nice ticks and the unit', async (t) => {
  for (const high of [0.51, 1, 1.26, 2.1, 3.1, 5.1, 57, 12345]) {
    const svg = renderChartSvg({ ...latencyChart, series: [{ name: 'o', subject: 'ours', values: [high, 0, null, 1e-3] }] });
    const ticks = count(svg, /<line [^>]*stroke="#e5e7eb"/g);
    t.ok(ticks >= 4 && ticks <= 6, `max ${high}: ${ticks} ticks`);
    t.match(svg, /rotate\(-90[^>]*>ms<\/text>/);
  }
});

t.test('log scale uses decade ticks and writes n/a for values ≤ 0 and null', async (t) => {
  const svg = renderChartSvg({
    id: 'throughput',
    title: 'Rebuild',
    unit: 'events/s',
    logScale: true,
    categories: ['a', 'b', 'c'],
    series: [
      { name: 'ours', subject: 'ours', values: [0.5, 0, 12300] },
      { name: 'ref', subject: 'reference', values: [null, -2, 40] },
    ],
  });
  t.equal(count(svg, /<rect /g), 1 + 2 + 3, 'bars only for the positive values');
  t.equal(count(svg, />n\/a</g), 3);
  t.match(svg, /events\/s \(log scale\)/);
  const tickLabels = [...svg.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);
  t.same(tickLabels, ['0.1', '1', '10', '100', '1k', '10k', '100k']);
  t.notMatch(svg, /NaN|Infinity/);
  const empty = renderChartSvg({ id: 'e', title: 'nothing', unit: 'ms', logScale: true, categories: ['a'], series: [{ name: 'o', subject: 'ours', values: [null] }] });
  t.notMatch(empty, /NaN|Infinity/);
});

t.test('the report has the run, the machine, the goals and each scenario', async (t) => {
  const results = [scenarioResult(), scenarioResult({ scenario: 'rebuild', title: 'Rebuild <throughput>', mode: 'dry', startedAt: '2025-03-05T08:00:00.000Z', goals: [], notes: [] })];
  const md = renderMarkdownReport(results, { chartPath: (r, c) => `charts/${r.scenario}-${c.id}.svg`, command: 'npm run bench -- --quick' });
  t.match(md, /^# outflow benchmark report\n/);
  t.match(md, /`npm run bench -- --quick`/);
  t.match(md, /mode: full, dry/);
  t.match(md, /2025-03-04 10:22 UTC – 2025-03-05 08:00 UTC/);
  t.match(md, /AMD EPYC 7B13, 8 cores/);
  t.match(md, /31\.3 GiB/);
  t.match(md, /0\.52 \/ 0\.40 \/ 0\.33/);
  t.match(md, /postgres 16\.4, kafka 3\.8\.0/);
  t.match(md, /kafkajs@2\.2\.4, pg@8\.13\.1/);
  t.match(md, /\| figure \| seed target \| our goal \| measured \| reference \| ratio \| result \|/);
  t.match(md, /\| command p99 \| < 10 ms \| < 5 ms \| 3\.15 ms \| 5\.08 ms \(raw pg\) \| 0\.62× \| pass \|/);
  t.match(md, /\| events\/s per worker \| — \| ≥ 20,000 \| 12,345 events\/s \| — \| — \| \*\*FAIL\*\* \|/);
  t.match(md, /\| p99 at 500 cmd\/s \| 3\.15 ms \| 5\.08 ms \(raw pg\) \| 0\.62× \|/);
  t.match(md, /\| throughput \| 12,345 cmd\/s \| — \| — \|/);
  t.match(md, /\| rebuild \| 42\.2 s \| _no reference without Debezium_ \| — \|/);
  t.match(md, /took 3 min 12 s/);
  t.match(md, /`rate=500`, `seconds=60`, `stores=\["pg"\]`/);
  t.match(md, /!\[p99 <500 cmd\/s> & "friends"\]\(charts\/commands-latency\.svg\)/);
  t.match(md, /!\[[^\]]*\]\(charts\/rebuild-latency\.svg\)/);
  t.match(md, /- Kafka ran with one broker\.\n- The reference \| shares the machine\./);
  const commands = md.indexOf('## Command latency');
  const rebuild = md.indexOf('## Rebuild <throughput>');
  t.ok(commands > md.indexOf('## Goals') && rebuild > commands, 'sections in the given order, after the goals');
  t.match(md.slice(rebuild), /^## Rebuild <throughput>\n\n\*\*dry run: token sizes, figures are not measurements\*\*/);
  t.notMatch(md.slice(commands, rebuild), /dry run: token sizes/, 'only the dry scenario says so');
});

t.test('writeReport and readScenarioResults round-trip, newest result per scenario', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-bench-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const older = writeScenarioResult(dir, scenarioResult({ title: 'old commands' }));
  const newer = writeScenarioResult(dir, scenarioResult({ title: 'new commands', startedAt: '2025-03-06T23:59:00.000+00:00' }));
  writeScenarioResult(dir, scenarioResult({ scenario: 'memory', title: 'memory', startedAt: '2025-03-01T01:00:00.000Z' }));
  t.equal(path.basename(older), '2025-03-04-commands.json');
  t.equal(path.basename(newer), '2025-03-06-commands.json');
  t.equal(path.basename(writeScenarioResult(dir, scenarioResult({ scenario: 'scale-out', startedAt: '2025-03-07T01:30:00+02:00' }))), '2025-03-06-scale-out.json', 'the UTC date');
  // Names that only resemble a result file are not read (they would fail validation if they were).
  for (const name of ['2025-03-09-memory-copy.json', '2025-03-09-memory.bak.json', '2025-03-09-memory.json.tmp', 'notes.txt']) fs.writeFileSync(path.join(dir, name), '{}');
  t.same(JSON.parse(fs.readFileSync(newer, 'utf8')), scenarioResult({ title: 'new commands', startedAt: '2025-03-06T23:59:00.000+00:00' }));
  t.match(fs.readFileSync(newer, 'utf8'), /^\{\n {2}"scenario": "commands",/, 'pretty-printed');

  const results = readScenarioResults(dir);
  t.same(results.map((r) => r.scenario), ['commands', 'scale-out', 'memory'], 'SCENARIOS order');
  t.equal(results[0]?.title, 'new commands');

  const { markdown, charts } = writeReport(dir, results, 'npm run bench');
  t.same(charts.map((c) => path.relative(dir, c)), ['charts/commands-latency.svg', 'charts/scale-out-latency.svg', 'charts/memory-latency.svg']);
  for (const chart of charts) t.match(fs.readFileSync(chart, 'utf8'), /^<svg /);
  t.equal(fs.readFileSync(path.join(dir, 'latest.md'), 'utf8'), markdown);
  t.match(markdown, /\]\(charts\/scale-out-latency\.svg\)/);
  t.same(readScenarioResults(dir), results, 'writing the report leaves the results readable');
});

t.test('on the same date the later-modified file wins; undated names lose to dated ones', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-bench-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const morning = writeScenarioResult(dir, scenarioResult({ title: 'morning' }));
  const evening = path.join(dir, '2025-03-04-rerun-commands.json');
  const undated = path.join(dir, 'manual-commands.json');
  fs.writeFileSync(evening, JSON.stringify(scenarioResult({ title: 'evening' })));
  fs.writeFileSync(undated, JSON.stringify(scenarioResult({ title: 'undated' })));
  fs.utimesSync(morning, new Date('2025-03-04T09:00:00Z'), new Date('2025-03-04T09:00:00Z'));
  fs.utimesSync(evening, new Date('2025-03-04T19:00:00Z'), new Date('2025-03-04T19:00:00Z'));
  fs.utimesSync(undated, new Date('2025-04-01T00:00:00Z'), new Date('2025-04-01T00:00:00Z'));
  t.equal(readScenarioResults(dir)[0]?.title, 'evening');
  fs.utimesSync(morning, new Date('2025-03-04T20:00:00Z'), new Date('2025-03-04T20:00:00Z'));
  t.equal(readScenarioResults(dir)[0]?.title, 'morning');
  fs.rmSync(morning);
  fs.rmSync(evening);
  t.equal(readScenarioResults(dir)[0]?.title, 'undated');
  t.same(readScenarioResults(path.join(dir, 'missing')), [], 'no directory, no results');
});

t.test('a malformed result file is named in the error', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-bench-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeScenarioResult(dir, scenarioResult({ title: 'fine, but older' }));
  const truncated = path.join(dir, '2025-03-05-commands.json');
  fs.writeFileSync(truncated, '{"scenario": "comm');
  t.throws(() => readScenarioResults(dir), { message: new RegExp(`^${truncated.replace(/[.\\]/g, '\\$&')}: not valid JSON`) });
  fs.writeFileSync(truncated, JSON.stringify({ ...scenarioResult(), rows: undefined }));
  t.throws(() => readScenarioResults(dir), { message: /2025-03-05-commands\.json: rows is not an array/ });
  fs.writeFileSync(truncated, JSON.stringify(scenarioResult({ scenario: 'rebuild' })));
  t.throws(() => readScenarioResults(dir), { message: /2025-03-05-commands\.json: scenario is "rebuild", expected "commands"/ });
});
