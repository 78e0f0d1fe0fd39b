// A small Redis Cluster for the cluster layout (OUTFLOW_REDIS_LAYOUT=cluster): REDIS_CLUSTER_NODES
// redis-server processes on consecutive ports, each with AOF like the single server. Once the
// last one is up, the nodes are joined into three primaries with one replica each (redis-cli
// --cluster create), unless they already form a cluster: nodes.conf in each node's data
// directory keeps the topology across restarts, and a primary that was killed comes back as its
// replacement's replica.
import path from 'node:path';
import { Redis } from 'ioredis';
import { REDIS_CLUSTER_NODES } from '../../../lib/config.ts';
import { StackComponentError } from '../../../lib/errors.ts';
import { pollUntil } from '../../../lib/pollUntil.ts';
import { runCommand, stopProcess } from '../processControl.ts';
import { prepareRedisServer, startRedisServer } from './redis.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';

/** The cluster bus of a node listens this far above its client port (not Redis's +10000, which the test stack's ports would meet). */
const BUS_PORT_OFFSET = 100;
// How long a primary may be unreachable before its replica takes over: short, for a local stack.
const NODE_TIMEOUT_MS = 2_000;

export function redisClusterNodeNames(): string[] {
  return Array.from({ length: REDIS_CLUSTER_NODES }, (_, i) => `redis-cluster-${i + 1}`);
}

function infoFields(text: string): Record<string, string> {
  return Object.fromEntries(text.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
}

/** A node's CLUSTER INFO, and its INFO replication. */
async function clusterInfo(host: string, port: number): Promise<Record<string, string>> {
  const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return { ...infoFields(String(await client.cluster('INFO'))), ...infoFields(await client.info('replication')) };
  } finally {
    client.disconnect();
  }
}

/** A primary whose replica has finished its first sync (WAIT would otherwise hold every write), or a replica. */
function replicationReady(info: Record<string, string>): boolean {
  if (info.role !== 'master') return info.role === 'slave' && info.master_link_status === 'up';
  return Number(info.connected_slaves) >= 1 && /state=online/.test(info.slave0 ?? '');
}

export function redisClusterComponents({ config, layout }: ComponentContext): StackComponent[] {
  const host = config.stack.host;
  const ports = Array.from({ length: REDIS_CLUSTER_NODES }, (_, i) => config.redis.clusterPort + i);
  return ports.map((port, index) => {
    const name = `redis-cluster-${index + 1}`;
    const dataDir = layout.data(name);
    const logFile = layout.logFile(name);
    const pidFile = layout.pidFile(name);
    const last = index === ports.length - 1;
    let version = 'unknown';
    return {
      name,
      get version() {
        return version;
      },
      port,
      dataDir,
      logFile,
      pidFile,

      async prepare() {
        version = await prepareRedisServer(dataDir, logFile);
      },

      start: () =>
        startRedisServer(name, { host, port, dataDir, logFile, pidFile }, [
          '--cluster-enabled', 'yes',
          '--cluster-port', String(port + BUS_PORT_OFFSET),
          '--cluster-config-file', path.join(dataDir, 'nodes.conf'),
          '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
        ]),

      async probe() {
        const info = await clusterInfo(host, port);
        return `cluster_state=${info.cluster_state} known_nodes=${info.cluster_known_nodes}`;
      },

      // The last node to start joins them all, once; later starts find the cluster formed.
      async afterStart() {
        if (!last) return;
        const info = await clusterInfo(host, ports[0]!);
        if (Number(info.cluster_slots_assigned) === 0) {
          const created = await runCommand('redis-cli', ['--cluster', 'create', ...ports.map((p) => `${host}:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
          if (created.code !== 0) throw new StackComponentError(name, 'redis-cli --cluster create failed', { logTail: created.stdout + created.stderr });
        }
        await pollUntil(
          'every Redis Cluster node to see the cluster ok, and every replica in sync',
          async () => {
            const states = await Promise.all(ports.map((p) => clusterInfo(host, p)));
            const ok = states.every((s) => s.cluster_state === 'ok' && Number(s.cluster_known_nodes) === ports.length && replicationReady(s));
            return ok && states.filter((s) => s.role === 'master').length === ports.length / 2 ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        );
      },

      // SIGTERM makes Redis fsync the append-only file before it exits.
      stop: (pid) => stopProcess(pid, { signal: 'SIGTERM' }),
    };
  });
}
