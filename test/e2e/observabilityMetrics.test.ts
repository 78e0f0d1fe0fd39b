// The alert rules and the dashboard in infra/observability/ use only metrics the running services
// export, with the labels they use: every service is scraped after real traffic (the status
// exporter, a projector worker, the command API, the query API), and each metric an expression
// names must be declared there; where it has series, one must carry every label the expression
// groups, joins or matches on. A renamed metric or label fails here, not silently on a dashboard.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import t from 'tap';
import YAML from 'yaml';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { ADMIN_KEY as QUERY_ADMIN_KEY, queryApiHarness } from '../support/queryApiHarness.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { RandomCommands } from '../support/randomCommands.ts';
import { testSeed } from '../support/testSeed.ts';

const h = await pipelineHarness(t);
const cfg = config();
const dir = path.join(cfg.repoRoot, 'infra', 'observability');

interface Expression {
  where: string;
  expr: string;
}

/** Every PromQL expression of the rules and the dashboard, with where it is. */
function expressions(): Expression[] {
  const rules = YAML.parse(fs.readFileSync(path.join(dir, 'prometheus-alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string; legendFormat?: string }[] }[] };
  return [
    ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: String(r.expr) }))),
    ...dashboard.panels.flatMap((p) => p.targets.map((target) => ({ where: `panel "${p.title}"`, expr: `${target.expr} ${target.legendFormat ?? ''}` }))),
  ];
}

/** Metric names (histogram series folded into their family) and the label names an expression relies on. */
function uses(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...new Set([...expr.matchAll(/\boutflow_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))];
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)) for (const l of m[1]!.split(',')) if (l.trim()) labels.add(l.trim());
  for (const m of expr.matchAll(/\{([^{}]*)\}/g)) for (const l of m[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]!);
  for (const m of expr.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) labels.add(m[1]!);
  return { metrics, labels: [...labels] };
}

interface Scraped {
  declared: Set<string>;
  /** Label names of each series line, per metric family. */
  series: Map<string, Set<string>[]>;
}

function parseExposition(text: string, into: Scraped): void {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) {
      into.declared.add(type[1]!);
      continue;
    }
    const sample = /^(outflow_[a-z0-9_]+)\{([^}]*)\}/.exec(line);
    if (!sample) continue;
    const name = sample[1]!;
    const family = into.declared.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const labels = new Set([...sample[2]!.matchAll(/(\w+)="/g)].map((m) => m[1]!));
    (into.series.get(family) ?? into.series.set(family, []).get(family)!).push(labels);
  }
}

t.test('every metric and label the rules and the dashboard use is exported by a running service', async (t) => {
  // Traffic first, so labelled series exist: commands through the command API, a worker applying them.
  const generation = h.newGeneration();
  const worker = await h.spawnWorker({ generation });
  const load = new RandomCommands(h.send, { runId: h.runId, seed: testSeed(t, 'the random commands') });
  await load.run(120, 4);
  t.equal((await h.verify(generation)).differences.length, 0, 'the worker applied the commands');
  const queries = await queryApiHarness();
  t.teardown(() => queries.close());
  for (const url of ['/orders/none', `/customers/${queries.customerId}/orders`, '/products/search?q=lamp']) await queries.send(url, { key: QUERY_ADMIN_KEY });

  const exporter = spawn(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'status', '--serve', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void exporter.kill('SIGTERM'));
  const exporterUrl = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: exporter.stdout }).on('line', (line) => {
      if (line.includes('status exporter listening')) resolve((JSON.parse(line) as { metrics: string }).metrics);
    });
    exporter.once('exit', (code) => reject(new Error(`the status exporter exited (${code})`)));
  });

  const scraped: Scraped = { declared: new Set(), series: new Map() };
  const pages = {
    'status exporter': await pollUntil('the exporter', async () => (await fetch(exporterUrl)).text(), { timeoutMs: 30_000 }),
    'projector worker': await (await fetch(`http://${cfg.stack.host}:${worker.httpPort}/metrics`)).text(),
    'command API': (await h.commands.app.inject({ method: 'GET', url: '/metrics' })).body,
    'query API': (await queries.app.inject({ method: 'GET', url: '/metrics' })).body,
  };
  for (const [service, text] of Object.entries(pages)) {
    t.ok(text.includes('# TYPE outflow_'), `${service} exports outflow metrics`);
    parseExposition(text, scraped);
  }
  t.match(pages['status exporter'], /outflow_connector_running\{connector="outflow-outbox"\} 1/, 'the exporter sees the connector running');
  t.match(pages['status exporter'], /outflow_replication_slot_wal_status\{slot="\w+",wal_status="(reserved|extended)"\} 1/);

  const all = expressions();
  t.ok(all.length >= 20, `${all.length} expressions checked`);
  const missing: string[] = [];
  for (const { where, expr } of all) {
    const { metrics, labels } = uses(expr);
    if (!metrics.length) missing.push(`${where}: names no outflow metric`);
    for (const metric of metrics) {
      if (!scraped.declared.has(metric)) {
        missing.push(`${where}: ${metric} is exported by no service`);
        continue;
      }
      const series = scraped.series.get(metric) ?? [];
      // Labels come with series; a metric with none yet (no rebuild running, nothing parked) is only declared.
      if (series.length && !series.some((s) => labels.every((l) => s.has(l)))) {
        missing.push(`${where}: no series of ${metric} has the labels ${labels.join(', ')} (has ${[...series[0]!].join(', ')})`);
      }
    }
  }
  t.same(missing, [], 'every metric and label used exists');
  // The families without series here must be the event-driven ones, and nothing else.
  const used = new Set(all.flatMap((e) => uses(e.expr).metrics));
  const eventDriven = new Set(['outflow_projector_checkpoint_rewinds_total', 'outflow_projector_dlq_messages_total', 'outflow_projector_retries_total', 'outflow_rebuild_progress_ratio']);
  t.same([...used].filter((m) => !scraped.series.has(m) && !eventDriven.has(m)), [], 'only metrics of events that did not happen here (a rebuild, a retry, a parked message) lack series');
});
