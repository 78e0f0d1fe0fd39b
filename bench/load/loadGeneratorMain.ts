// A load generator as a process of its own (see loadSpec.ts): reads its spec from argv, opens
// its own connections to the stack the environment names, runs the load, and prints progress
// lines and one result line as JSON on stdout.
//   node --import tsx bench/load/loadGeneratorMain.ts '<LoadSpec JSON>'
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { config } from '../../lib/config.ts';
import { postgresPool } from '../../lib/postgresPool.ts';
import { benchHttpPool } from '../benchConnections.ts';
import { RawPgCommandWrites } from '../references/rawPgCommandWrites.ts';
import { runClosedLoop } from './closedLoopLoad.ts';
import { adminAuthorization, CommandClient, getJson } from './commandClient.ts';
import { CommandMix, type MixedCommand } from './commandMix.ts';
import { LatencyHistogram } from './latencyHistogram.ts';
import type { EncodedLoadResult, FollowedCommand, FollowSample, LoadSpec } from './loadSpec.ts';
import { runOpenLoop, type OpenLoopResult } from './openLoopLoad.ts';
import { openRedis } from '../../lib/redisConnection.ts';

type Operation = (i: number, since: number) => Promise<boolean | void>;

const spec = JSON.parse(process.argv[2] ?? 'null') as LoadSpec | null;
if (!spec) {
  console.error("usage: loadGeneratorMain.ts '<LoadSpec JSON>'");
  process.exit(2);
}
const cfg = config();
const closers: (() => Promise<unknown>)[] = [];
const labelled = new Map<string, LatencyHistogram>();
const warmupUntil = performance.now() + spec.shape.warmupSeconds * 1000;
/** Records an operation's latency under a label, once past the warm-up. */
const recordAs = (label: string, since: number) => {
  if (since < warmupUntil) return;
  let histogram = labelled.get(label);
  if (!histogram) labelled.set(label, (histogram = new LatencyHistogram()));
  histogram.record(performance.now() - since);
};
const http = (host: string, port: number) => {
  const pool = benchHttpPool(host, port, spec.connections);
  closers.push(() => pool.close());
  return pool;
};

async function operationFor(target: LoadSpec['target']): Promise<Operation> {
  switch (target.kind) {
    case 'query-api': {
      const pool = http(cfg.queryApi.host, cfg.queryApi.port);
      const authorization = adminAuthorization(cfg);
      const { lookupPaths, searchPath, searchEvery = 0 } = target;
      return async (i, since) => {
        const search = searchPath !== undefined && searchEvery > 0 && i % searchEvery === 0;
        const reply = await getJson(pool, search ? searchPath : lookupPaths[i % lookupPaths.length]!, authorization);
        if (reply.status !== 200) throw new Error(`query answered ${reply.status}`);
        recordAs(search ? 'search' : 'lookup', since);
      };
    }
    case 'bare-http': {
      // The same requests the query API gets (path and Authorization), to a server that does nothing with them.
      const pool = http('127.0.0.1', target.port);
      const authorization = adminAuthorization(cfg);
      const { paths } = target;
      return async (i) => {
        const reply = await getJson(pool, paths[i % paths.length]!, authorization);
        if (reply.status !== 200) throw new Error(`bare HTTP server answered ${reply.status}`);
      };
    }
    case 'redis-hgetall': {
      const redis = openRedis(cfg, { options: { connectionName: 'outflow-bench-load' } });
      closers.push(() => redis.quit());
      const { keys } = target;
      return async (i) => {
        const hash = await redis.hgetall(keys[i % keys.length]!);
        if (!hash.orderId) throw new Error('order hash missing');
      };
    }
    case 'elasticsearch-search': {
      const es = new ElasticsearchClient({ node: cfg.elasticsearch.url, requestTimeout: 120_000 });
      closers.push(() => es.close());
      return async () => {
        await es.search(target.request);
      };
    }
    case 'commands': {
      const client = new CommandClient(cfg, http(cfg.commandApi.host, cfg.commandApi.port));
      const mix = new CommandMix(target.runId);
      const { follow } = target;
      if (!follow) return (i) => mix.send(client, target.offset + i);
      return (i) =>
        mix.send(client, target.offset + i, (command, reply) => {
          if (i < follow.fromIndex) return;
          const followed = followedCommand(command, reply, i, follow);
          if (followed) process.stdout.write(`${JSON.stringify({ followed })}\n`);
        });
    }
    case 'raw-pg': {
      const { host, port, user, password, writeDatabase } = cfg.postgres;
      const pool = postgresPool({ host, port, user, password, database: writeDatabase, max: target.poolSize, application_name: 'outflow-bench-load' });
      closers.push(() => pool.end());
      const reference = new RawPgCommandWrites(pool, target.runId);
      return (i) => reference.write(target.offset + i);
    }
  }
}

/** The followed form of an accepted command, when it is in the sample (see FollowSample). */
function followedCommand(command: MixedCommand, reply: { aggregateId: string; version: number }, i: number, follow: FollowSample): FollowedCommand | undefined {
  const answeredAt = performance.timeOrigin + performance.now();
  if (command.kind === 'place' && i % follow.every === 0) {
    const { customerId } = command.body as { customerId: string };
    return { kind: 'place', orderId: reply.aggregateId, customerId, version: reply.version, answeredAt };
  }
  if (command.kind === 'reprice' && i % (follow.every * 3) < 20) return { kind: 'reprice', sku: command.path.split('/').at(-1)!, version: reply.version, answeredAt };
  return undefined;
}

const operation = await operationFor(spec.target);
const progress = (done: number, total?: number) => process.stdout.write(`${JSON.stringify({ progress: { done, total } })}\n`);
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const { shape } = spec;
const result: OpenLoopResult =
  shape.mode === 'open'
    ? await runOpenLoop({ ...shape, operation, onProgress: progress })
    : await runClosedLoop({ ...shape, operation, onProgress: progress });
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
const cpuMs = (cpu.user + cpu.system) / 1000;
const encoded: EncodedLoadResult = {
  ...result,
  histogram: result.histogram.encoded(),
  labelled: Object.fromEntries([...labelled].map(([label, histogram]) => [label, histogram.encoded()])),
  generatorCpu: { cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs), coreShare: Math.round((cpuMs / wallMs) * 100) / 100 },
};
process.stdout.write(`${JSON.stringify({ result: encoded })}\n`);
await Promise.allSettled(closers.map((close) => close()));
process.exit(0);
