// The benchmark harness runs end to end (`outflow bench --quick --dry`: every scenario at token
// sizes against the real stack and services) and writes what it promises: one valid JSON result
// per scenario, latest.md and the SVG charts. No thresholds: --dry figures are not measurements.
// It also refuses to run, with the fix in the message, when a service is not up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SCENARIOS, type ScenarioResult } from '../../bench/benchResult.ts';
import { config } from '../../lib/config.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { ensureStack } from '../support/stack.ts';

// Starting the services and running every scenario once, each with its own load-generator
// processes, takes several minutes on two cores: more than the suite's default per file.
t.setTimeout(15 * 60_000);
const repoRoot = config().repoRoot;
const cli = path.join(repoRoot, 'bin', 'outflow.js');

function outflow(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const stack: LocalStack = await ensureStack();
const servicesBefore = (await stack.status(stack.services.map((s) => s.name))).filter((s) => s.health === 'healthy').map((s) => s.name);
// What `npm start` does: migrate, register the schemas, apply the connector, start the services.
const started = await outflow(['start']);
if (started.code !== 0) throw new Error(`outflow start failed: ${started.stderr.slice(-2000)}`);
t.teardown(async () => {
  const startedHere = stack.services.map((s) => s.name).filter((name) => !servicesBefore.includes(name));
  if (startedHere.length) await stack.down({ names: startedHere });
});

t.test('a service that is not up: the bench refuses and says to run npm start', async (t) => {
  // The query API's health probe aimed at a port nobody listens on: that service is "not up".
  const result = await outflow(['bench', '--dry', '--scenarios', 'commands', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-bench-'))], { OUTFLOW_QUERY_API_PORT: '1' });
  t.equal(result.code, 1);
  t.match(result.stderr, /OUTFLOW_ERR_BENCH_STACK_NOT_UP/);
  t.match(result.stderr, /query-api/);
  t.match(result.stderr, /npm start/);
});

t.test('an unknown scenario is refused with the list of known ones', async (t) => {
  const result = await outflow(['bench', '--dry', '--scenarios', 'commands,latency']);
  t.not(result.code, 0);
  t.match(result.stderr, /unknown scenario latency/);
  t.match(result.stderr, /projector-throughput/);
});

t.test('--quick --dry runs every scenario and writes valid results, latest.md and charts', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'outflow-bench-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const result = await outflow(['bench', '--quick', '--dry', '--quiet', '--out', out]);
  t.equal(result.code, 0, result.stderr.slice(-3000));
  const files = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
  t.equal(files.length, SCENARIOS.length, `one result per scenario: ${files.join(', ')}`);
  const markdown = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
  for (const scenario of SCENARIOS) {
    const file = files.find((f) => f.endsWith(`-${scenario}.json`));
    t.ok(file, `${scenario} has a result file`);
    if (!file) continue;
    const parsed = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as ScenarioResult;
    t.equal(parsed.scenario, scenario);
    t.equal(parsed.mode, 'dry');
    t.ok(parsed.measurements.length > 0, `${scenario} measured something`);
    t.ok(parsed.rows.length > 0, `${scenario} has table rows`);
    t.ok(parsed.machine.cores > 0 && parsed.machine.components.kafka, `${scenario} records the machine and versions`);
    t.ok(markdown.includes(`## ${parsed.title}`), `latest.md has a section for ${scenario}`);
    for (const chart of parsed.charts) {
      const svg = path.join(out, 'charts', `${scenario}-${chart.id}.svg`);
      t.ok(fs.existsSync(svg) && fs.readFileSync(svg, 'utf8').startsWith('<svg'), `chart ${scenario}/${chart.id} written`);
      t.ok(markdown.includes(`charts/${scenario}-${chart.id}.svg`), `latest.md links chart ${scenario}/${chart.id}`);
    }
  }
  // Latencies come from a histogram of real operations: the command scenario sent commands.
  const commands = JSON.parse(fs.readFileSync(path.join(out, files.find((f) => f.endsWith('-commands.json'))!), 'utf8')) as ScenarioResult;
  const ours = commands.measurements.find((m) => m.subject === 'ours')!;
  t.ok(ours.latency && ours.latency.count > 0 && ours.latency.p99 >= ours.latency.p50, 'percentiles from recorded latencies');
  t.equal(ours.errors, 0, 'no command failed');
  // The scale-out check compared every order of the replayed history with the read model.
  const scaleOut = JSON.parse(fs.readFileSync(path.join(out, files.find((f) => f.endsWith('-scale-out.json'))!), 'utf8')) as ScenarioResult;
  t.equal(scaleOut.measurements.find((m) => m.id === 'ours.differences')?.value, 0, 'no order lost or wrong after the second worker joined');
});
