// Scenario 3: query latency. Open-loop reads through the running query API, 95% GET /orders/:id
// and 5% GET /products/search, while commands flow at 1% of the read rate. References at the same
// rates: the same order hashes read with ioredis straight from Redis (HGETALL), the same search
// sent straight to Elasticsearch, and redis-benchmark GET (closed loop) as the server's floor.
// The saturation has a second reference: a bare node:http server answering the same bytes, the
// floor of any Node HTTP service here (references/bareHttpServer.ts).
import type { Pool } from 'undici';
import type { Measurement } from '../benchResult.ts';
import { ORDER_SUMMARY } from '../../read-models/order-summary/projection.ts';
import { productSearchRequest } from '../../read-models/product-search/projection.ts';
import { liveGeneration, RedisKeyLayout } from '../../projectors/stores/redisKeys.ts';
import { adminAuthorization, CommandClient, getJson } from '../load/commandClient.ts';
import { CommandMix } from '../load/commandMix.ts';
import { LatencyHistogram } from '../load/latencyHistogram.ts';
import { runLoadGenerator, type GeneratedLoad } from '../load/loadGeneratorProcess.ts';
import type { LoadShape, LoadSpec } from '../load/loadSpec.ts';
import type { OpenLoopResult } from '../load/openLoopLoad.ts';
import { startBareHttpServer } from '../references/bareHttpServer.ts';
import { runRedisBenchmarkGet } from '../references/redisBenchmark.ts';
import { generatorCpuPercent, goal, latencyMeasurement, loadNotes, percentileChart, ratioOf, row, type Scenario } from '../scenario.ts';

const SEARCH_EVERY = 20;
const SATURATION_CLIENTS = 64;

function split(result: OpenLoopResult, histogram: LatencyHistogram, rate: number): OpenLoopResult {
  return { ...result, histogram, targetRate: rate, achievedRate: (result.achievedRate * histogram.count) / Math.max(1, result.histogram.count) };
}

export const queryLatencyScenario: Scenario = {
  name: 'queries',
  title: 'Query latency (95% order lookups, 5% product search)',
  async run(context) {
    const { sizes, connections, progress, config } = context;
    const client = new CommandClient(config, connections.commandApi);
    const authorization = adminAuthorization(config);
    const mixRunId = `${context.runId}-${this.name}`;
    const mix = new CommandMix(mixRunId);
    await mix.seed(client);
    const orderCount = context.mode === 'dry' ? 20 : 500;
    progress.note(`queries: placing ${orderCount} orders to read`);
    const orders: string[] = [];
    for (let i = 0; i < orderCount; i += 20) {
      const placed = await Promise.all(Array.from({ length: Math.min(20, orderCount - i) }, (_, j) => client.send('POST', '/orders', mix.placeOrder(i + j).body)));
      for (const p of placed) {
        if (p.status !== 201) throw new Error(`POST /orders answered ${p.status}`);
        orders.push(p.body.aggregateId);
      }
    }
    // Every order must be readable before the clock starts: a 404 is not a latency.
    const deadline = performance.now() + 120_000;
    for (const orderId of orders) {
      while ((await getJson(connections.queryApi, `/orders/${orderId}`, authorization)).status !== 200) {
        if (performance.now() > deadline) throw new Error(`order ${orderId} not visible through the query API after 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const generation = await liveGeneration(connections.redis, ORDER_SUMMARY);
    const layout = RedisKeyLayout.of(connections.redis, ORDER_SUMMARY);
    const orderKey = (orderId: string) => layout.dataKey(generation ?? 1, `order:${orderId}`);
    const searchPath = '/products/search?q=bench&category=kitchen';
    const searchRequest = productSearchRequest({ q: 'bench', category: 'kitchen', page: 1, pageSize: 20 });

    const measurements: Measurement[] = [];
    // Every load comes from a generator process of its own (loadGeneratorProcess.ts): the bench's
    // event loop and heap shape none of these latencies, and each result carries the generator's CPU.
    const generate = (label: string, spec: LoadSpec) =>
      runLoadGenerator(config.repoRoot, spec, (done, total) => progress.update('queries', `${label} ${done}/${total ?? '?'}`));
    const open = (rate: number, maxInFlight: number, warmupSeconds = sizes.warmupSeconds, durationSeconds = sizes.querySeconds): LoadShape => ({ mode: 'open', rate, durationSeconds, warmupSeconds, maxInFlight });
    const lookupPaths = orders.map((orderId) => `/orders/${orderId}`);
    const keys = orders.map(orderKey);
    for (const rate of sizes.queryRates) {
      progress.note(`queries: ${rate} reads/s through the query API for ${sizes.querySeconds} s, commands at ${rate / 100}/s`);
      const commandRate = Math.max(1, rate / 100);
      const [reads, commands] = await Promise.all([
        generate(`ours ${rate}/s`, { target: { kind: 'query-api', lookupPaths, searchPath, searchEvery: SEARCH_EVERY }, shape: open(rate, 256), connections: 256 }),
        generate('commands', { target: { kind: 'commands', runId: mixRunId, offset: 9_000_000 + rate * 1000 }, shape: open(commandRate, 64, 0, sizes.querySeconds + sizes.warmupSeconds), connections: 16 }),
      ]);
      measurements.push(
        latencyMeasurement(`ours.lookup.${rate}`, `GET /orders/:id at ${rate}/s`, 'ours', split(reads, reads.labelled.lookup ?? new LatencyHistogram(), rate * 0.95)),
        latencyMeasurement(`ours.search.${rate}`, `GET /products/search at ${rate}/s`, 'ours', split(reads, reads.labelled.search ?? new LatencyHistogram(), rate * 0.05)),
        latencyMeasurement(`ours.all.${rate}`, `all reads at ${rate}/s`, 'ours', reads),
        latencyMeasurement(`commands.${rate}`, `commands at ${commandRate}/s during the reads`, 'ours', commands),
      );
      progress.note(`queries: references at ${rate}/s (ioredis HGETALL, Elasticsearch search)`);
      const redisDirect = await generate('reference redis', { target: { kind: 'redis-hgetall', keys }, shape: open(rate * 0.95, 256), connections: 1 });
      const esDirect = await generate('reference elasticsearch', { target: { kind: 'elasticsearch-search', request: searchRequest as Record<string, unknown> }, shape: open(rate * 0.05, 64), connections: 1 });
      measurements.push(
        latencyMeasurement(`reference.redis.${rate}`, `ioredis HGETALL at ${rate * 0.95}/s`, 'reference', redisDirect),
        latencyMeasurement(`reference.elasticsearch.${rate}`, `Elasticsearch search at ${rate * 0.05}/s`, 'reference', esDirect),
      );
    }
    // Saturation: as many lookups as SATURATION_CLIENTS clients in a loop get answered, through the
    // query API and, beside it, straight from Redis; both from a separate process.
    progress.note(`queries: saturation, ${SATURATION_CLIENTS} clients in a closed loop for ${sizes.querySeconds} s (ours, then ioredis)`);
    const closed: LoadShape = { mode: 'closed', concurrency: SATURATION_CLIENTS, durationSeconds: sizes.querySeconds, warmupSeconds: sizes.warmupSeconds };
    const oursSaturation = await generate('ours saturation', { target: { kind: 'query-api', lookupPaths }, shape: closed, connections: SATURATION_CLIENTS });
    const redisSaturation = await generate('reference saturation', { target: { kind: 'redis-hgetall', keys }, shape: closed, connections: 1 });
    const bareSaturation = await bareHttpSaturation(config.repoRoot, connections.queryApi, lookupPaths, authorization, (port) =>
      generate('reference bare node:http saturation', { target: { kind: 'bare-http', port, paths: lookupPaths }, shape: closed, connections: SATURATION_CLIENTS }),
    );
    // The search's own ceiling, straight to Elasticsearch: what one copy of the index answers, for capacity planning.
    const esSaturation = await generate('reference elasticsearch saturation', { target: { kind: 'elasticsearch-search', request: searchRequest as Record<string, unknown> }, shape: closed, connections: 1 });
    measurements.push(
      latencyMeasurement('ours.saturation', `GET /orders/:id, ${SATURATION_CLIENTS} clients, closed loop`, 'ours', oursSaturation),
      latencyMeasurement('reference.redis.saturation', `ioredis HGETALL, ${SATURATION_CLIENTS} in flight, closed loop`, 'reference', redisSaturation),
      latencyMeasurement('reference.bare-http.saturation', `bare node:http server answering the same bytes, ${SATURATION_CLIENTS} clients, closed loop`, 'reference', bareSaturation),
      latencyMeasurement('reference.elasticsearch.saturation', `Elasticsearch search, ${SATURATION_CLIENTS} in flight, closed loop`, 'reference', esSaturation),
    );
    const redisUrl = new URL(config.redis.url);
    const [firstNode] = config.redis.clusterNodes;
    const server = config.redis.layout === 'cluster' && firstNode ? { ...firstNode, cluster: true } : { host: redisUrl.hostname, port: Number(redisUrl.port || 6379), cluster: false };
    const benchmark = await runRedisBenchmarkGet({ ...server, requests: context.mode === 'dry' ? 1000 : 100_000, clients: 50 });
    const get = (id: string) => measurements.find((m) => m.id === id)!;
    const rows = sizes.queryRates.flatMap((rate) => [
      row(`GET /orders/:id p50 at ${rate}/s`, 'ms', get(`ours.lookup.${rate}`).latency!.p50, { label: 'ioredis HGETALL', value: get(`reference.redis.${rate}`).latency!.p50 }),
      row(`GET /orders/:id p99 at ${rate}/s`, 'ms', get(`ours.lookup.${rate}`).latency!.p99, { label: 'ioredis HGETALL', value: get(`reference.redis.${rate}`).latency!.p99 }),
      row(`search p50 at ${rate}/s`, 'ms', get(`ours.search.${rate}`).latency!.p50, { label: 'Elasticsearch direct', value: get(`reference.elasticsearch.${rate}`).latency!.p50 }),
      row(`search p99 at ${rate}/s`, 'ms', get(`ours.search.${rate}`).latency!.p99, { label: 'Elasticsearch direct', value: get(`reference.elasticsearch.${rate}`).latency!.p99 }),
      row(`reads achieved at ${rate}/s`, 'req/s', get(`ours.all.${rate}`).achievedRate!, { label: 'ioredis', value: get(`reference.redis.${rate}`).achievedRate }),
      row(`read errors at ${rate}/s`, 'count', get(`ours.all.${rate}`).errors!),
      row(`load generator CPU at ${rate}/s`, '% of a core', generatorCpuPercent(get(`ours.all.${rate}`)), { label: 'ioredis generator', value: generatorCpuPercent(get(`reference.redis.${rate}`)) }),
    ]);
    const saturation = get('ours.saturation');
    const redisSaturationRate = get('reference.redis.saturation').achievedRate;
    rows.push(row(`GET /orders/:id saturation, ${SATURATION_CLIENTS} clients`, 'req/s', saturation.achievedRate!, { label: 'ioredis HGETALL loop', value: redisSaturationRate }));
    rows.push(
      row(`GET /orders/:id saturation vs a bare node:http server, ${SATURATION_CLIENTS} clients`, 'req/s', saturation.achievedRate!, {
        label: 'bare node:http server answering the same bytes',
        value: get('reference.bare-http.saturation').achievedRate,
      }),
    );
    const goalRate = sizes.queryRates.includes(5000) ? 5000 : sizes.queryRates.at(-1)!;
    const lookup = get(`ours.lookup.${goalRate}`);
    rows.push(
      row(`GET /orders/:id p99 at ${goalRate}/s vs redis-benchmark GET p99`, 'ms', lookup.latency!.p99, {
        label: benchmark ? `redis-benchmark, closed loop, 50 clients, ${Math.round(benchmark.requestsPerSecond)} req/s` : 'redis-benchmark',
        value: benchmark?.p99,
        note: benchmark ? undefined : 'redis-benchmark not found on PATH (Debian: redis-tools)',
      }),
    );
    if (benchmark) measurements.push({ id: 'reference.redis-benchmark', label: 'redis-benchmark GET', subject: 'reference', value: benchmark.requestsPerSecond, unit: 'req/s', details: { ...benchmark } });
    return {
      parameters: { rates: sizes.queryRates, secondsPerRate: sizes.querySeconds, searchShare: 1 / SEARCH_EVERY, orders: orderCount, commandShare: 0.01 },
      measurements,
      rows,
      goals: [
        goal(
          {
            figure: `query latency p99 (Redis-backed GET /orders/:id) at ${goalRate} req/s`,
            seedTarget: '< 5 ms',
            goal: '< 2 ms',
            measured: lookup.latency!.p99,
            unit: 'ms',
            ...(benchmark ? { reference: { label: 'redis-benchmark GET on the same server', value: benchmark.p99, unit: 'ms' } } : {}),
          },
          (p99) => p99 < 2 && goalRate === 5000 && (lookup.achievedRate ?? 0) >= goalRate * 0.95 * 0.95,
        ),
        ...(sizes.queryRates.includes(1000)
          ? [
              goal(
                {
                  figure: 'GET /orders/:id p99 at 1,000 req/s, beside ioredis HGETALL at the same rate',
                  seedTarget: '< 5 ms',
                  goal: '≤ 2× the reference',
                  measured: get('ours.lookup.1000').latency!.p99,
                  unit: 'ms',
                  reference: { label: 'ioredis HGETALL, same rate, separate process', value: get('reference.redis.1000').latency!.p99, unit: 'ms' },
                  ratio: ratioOf(get('ours.lookup.1000').latency!.p99, get('reference.redis.1000').latency!.p99),
                },
                (p99) => p99 <= 2 * get('reference.redis.1000').latency!.p99,
              ),
            ]
          : []),
        goal(
          {
            figure: `GET /orders/:id saturation (${SATURATION_CLIENTS} clients, closed loop, separate process)`,
            seedTarget: '—',
            goal: '≥ 0.5× the reference',
            measured: saturation.achievedRate!,
            unit: 'req/s',
            reference: { label: 'ioredis HGETALL loop, separate process', value: redisSaturationRate ?? Number.NaN, unit: 'req/s' },
            ratio: ratioOf(saturation.achievedRate!, redisSaturationRate ?? Number.NaN),
          },
          (rate) => rate >= 0.5 * (redisSaturationRate ?? Number.POSITIVE_INFINITY),
        ),
      ],
      charts: sizes.queryRates.map((rate) =>
        percentileChart(`latency-${rate}`, `Query latency at ${rate} req/s`, [get(`ours.lookup.${rate}`), get(`reference.redis.${rate}`), get(`ours.search.${rate}`), get(`reference.elasticsearch.${rate}`)]),
      ),
      notes: [
        'Latency counts from when each read was due (open loop). Every load, ours and the references, comes from a generator process of its own, which records its own CPU use; one near a full core is flagged below. The generators still share the 2 cores with the stack, the query API and the projectors.',
        `Saturation: ${SATURATION_CLIENTS} clients each send the next lookup when the last one answered (closed loop), through the query API, then straight from Redis with ioredis; then the search straight to Elasticsearch the same way (its ceiling on this machine, for capacity planning).`,
        `Bare node:http reference: a server in a process of its own answering every GET with the bytes and headers the query API answered for one order, and nothing else, loaded by the same ${SATURATION_CLIENTS} clients with the same requests: the floor of any Node HTTP service on this machine. An ioredis loop pipelines many commands into one write on one connection; HTTP answers each request with a write of its own on its own connection, so the bare server's ceiling is where any HTTP API in one Node process stops.`,
        'The goal passes only if the achieved rate is within 5% of the rate asked for.',
        `Reads of ${orderCount} orders placed by the scenario; search: q=bench&category=kitchen.`,
        ...loadNotes(measurements.filter((m) => !m.id.startsWith('ours.lookup') && !m.id.startsWith('ours.search'))),
        ...(benchmark ? [`redis-benchmark -t get -c 50 -n ${benchmark.requests}: ${Math.round(benchmark.requestsPerSecond)} req/s, p50 ${benchmark.p50} ms, p99 ${benchmark.p99} ms (closed loop: a server floor, not the same rate).`] : []),
      ],
    };
  },
};

/**
 * The saturation of a bare node:http server answering what the query API answers for the first
 * order, loaded by `load` with the same requests: started, measured, stopped.
 */
async function bareHttpSaturation(
  repoRoot: string,
  queryApi: Pool,
  lookupPaths: readonly string[],
  authorization: string,
  load: (port: number) => Promise<GeneratedLoad>,
): Promise<GeneratedLoad> {
  const answered = await queryApi.request({ method: 'GET', path: lookupPaths[0]!, headers: { authorization } });
  const body = await answered.body.text();
  if (answered.statusCode !== 200) throw new Error(`GET ${lookupPaths[0]} answered ${answered.statusCode}: ${body.slice(0, 200)}`);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'outflow-freshness']) {
    const value = answered.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const server = await startBareHttpServer(repoRoot, { body, headers });
  try {
    return await load(server.port);
  } finally {
    await server.stop();
  }
}
