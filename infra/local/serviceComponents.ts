// outflow's own long-running processes, run by `outflow start` beside the stack:
// each is this CLI in another mode, detached, with its pid and log under .stack/.
import fs from 'node:fs';
import path from 'node:path';
import { spawnDetached, stopProcess } from './processControl.ts';
import type { Config } from '../../lib/config.ts';
import type { ComponentContext, StackComponent } from './stackComponent.ts';
import { readModels } from '../../read-models/registry.ts';

function packageVersion(repoRoot: string): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

interface ServiceSpec {
  name: string;
  /** Arguments to bin/outflow.js that run the service in the foreground. */
  args: string[];
  /** Options for node itself, before the script. */
  nodeOptions?: string[];
  port: number;
  healthUrl: string;
}

export function serviceComponent({ config, layout }: ComponentContext, spec: ServiceSpec): StackComponent {
  const logFile = layout.logFile(spec.name);
  return {
    name: spec.name,
    version: `outflow ${packageVersion(config.repoRoot)}`,
    port: spec.port,
    dataDir: '-',
    logFile,
    pidFile: layout.pidFile(spec.name),
    async prepare() {},
    async start() {
      return spawnDetached({ command: process.execPath, args: [...(spec.nodeOptions ?? []), path.join(config.repoRoot, 'bin', 'outflow.js'), ...spec.args], logFile, cwd: config.repoRoot });
    },
    async probe() {
      const response = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(3000) });
      const body = (await response.json()) as { status?: string; reason?: string };
      if (!response.ok) throw new Error(`${spec.healthUrl} answered ${response.status}: ${body.reason ?? ''}`);
      return body.status ?? 'ok';
    },
    // The services finish their in-flight work on SIGTERM (graceful shutdown).
    stop: (pid) => stopProcess(pid, { signal: 'SIGTERM', graceMs: 20_000 }),
  };
}

/**
 * A replay allocates a few short-lived objects per message; with V8's default 16 MB semi-space
 * most of the young generation is scavenged (and partly promoted) several times a second. 64 MB
 * cut the order-summary worker's CPU per event by about 11% in a long replay, for ~100 MB more
 * resident memory. Deployments elsewhere set the same flag (NODE_OPTIONS).
 */
export const PROJECTOR_NODE_OPTIONS = ['--max-semi-space-size=64'];

/**
 * The stack's projector workers, one per read model, each with its own health and metrics port:
 * the projector's base port plus the read model's own offset, so adding a read model moves no port.
 */
export function projectorWorkerEndpoints(config: Config): { projection: string; port: number; healthUrl: string; metricsUrl: string }[] {
  return readModels.map(({ projection, localWorkerPortOffset }) => {
    const port = config.projector.httpPort + localWorkerPortOffset;
    const base = `http://${config.stack.host}:${port}`;
    return { projection: projection.name, port, healthUrl: `${base}/health`, metricsUrl: `${base}/metrics` };
  });
}

/** The command API, the query API, and one projector worker per projection (each on its own health port). */
export function serviceComponents(context: ComponentContext): StackComponent[] {
  const { config } = context;
  const workers = projectorWorkerEndpoints(config).map(({ projection, port, healthUrl }) =>
    serviceComponent(context, {
      name: `projector-${projection}`,
      args: ['projector', 'run', '--projections', projection, '--http-port', String(port)],
      nodeOptions: PROJECTOR_NODE_OPTIONS,
      port,
      healthUrl,
    }),
  );
  return [
    serviceComponent(context, {
      name: 'command-api',
      args: ['command-api'],
      port: config.commandApi.port,
      healthUrl: `http://${config.commandApi.host}:${config.commandApi.port}/health`,
    }),
    ...workers,
    serviceComponent(context, {
      name: 'query-api',
      args: ['query-api'],
      port: config.queryApi.port,
      healthUrl: `http://${config.queryApi.host}:${config.queryApi.port}/health`,
    }),
  ];
}
