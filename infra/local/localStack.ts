// The native local stack: brings components up in dependency order, waits for each
// one's real health check with a deadline, and stops only what it started.
import fs from 'node:fs';
import { config as loadedConfig, type Config } from '../../lib/config.ts';
import { StackComponentError } from '../../lib/errors.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { fetchArtifacts } from './artifactFetcher.ts';
import { elasticsearchComponent } from './components/elasticsearch.ts';
import { kafkaComponent } from './components/kafka.ts';
import { kafkaConnectComponent } from './components/kafkaConnect.ts';
import { postgresComponent, readPostgresInstance, writePostgresInstance } from './components/postgres.ts';
import { redisComponent } from './components/redis.ts';
import { redisClusterComponents } from './components/redisCluster.ts';
import { registryComponent } from './components/registry.ts';
import { portInUse } from './portCheck.ts';
import { ensurePrerequisites } from './prerequisites.ts';
import { runningPid, tailFile, writePid } from './processControl.ts';
import type { ComponentContext, StackComponent } from './stackComponent.ts';
import { stackLayout } from './stackLayout.ts';
import { readStackVersions } from './stackVersions.ts';
import { serviceComponents } from './serviceComponents.ts';

export type Health = 'healthy' | 'unhealthy' | 'stopped';

export interface ComponentStatus {
  name: string;
  version: string;
  port: number;
  pid: number | undefined;
  health: Health;
  detail: string;
  dataDir: string;
}

export interface UpResult {
  statuses: ComponentStatus[];
  /** Components this call started (the rest were already running). */
  started: string[];
}

const PROBE_TIMEOUT_MS = 5_000;

export class LocalStack {
  readonly context: ComponentContext;
  /** Infrastructure in start order: each component only depends on those before it. */
  readonly components: readonly StackComponent[];
  /** outflow's own processes, started by `outflow start` once the infrastructure is ready. */
  readonly services: readonly StackComponent[];
  /**
   * Infrastructure of the other Redis layout: started only when named (a test of the cluster
   * layout on a stack of the single one), stopped with the rest once started.
   */
  readonly optionalComponents: readonly StackComponent[];
  private readonly aliases: ReadonlyMap<string, readonly string[]>;
  private readonly log: (line: string) => void;

  constructor({ config = loadedConfig(), log = (line: string) => console.error(line) }: { config?: Config; log?: (line: string) => void } = {}) {
    const context: ComponentContext = {
      config,
      layout: stackLayout(config),
      versions: readStackVersions(config.repoRoot),
    };
    this.context = context;
    this.log = log;
    const single = [redisComponent(context)];
    const cluster = redisClusterComponents(context);
    const clustered = config.redis.layout === 'cluster';
    this.optionalComponents = clustered ? [] : cluster;
    // `redis` names the read models' Redis in either layout; `redis-cluster`, all of a cluster's nodes.
    this.aliases = new Map([
      ['redis', clustered ? cluster.map((c) => c.name) : ['redis']],
      ['redis-cluster', cluster.map((c) => c.name)],
    ]);
    this.components = [
      postgresComponent(context, writePostgresInstance(context)),
      postgresComponent(context, readPostgresInstance(context)),
      ...(clustered ? cluster : single),
      kafkaComponent(context),
      registryComponent(context),
      kafkaConnectComponent(context),
      elasticsearchComponent(context),
    ];
    this.services = serviceComponents(context);
  }

  /** The named components (infrastructure or services) in start order; the infrastructure when `names` is empty. */
  select(requested: readonly string[] = []): StackComponent[] {
    const names = requested.flatMap((name) => this.aliases.get(name) ?? [name]);
    const all = [...this.components, ...this.optionalComponents, ...this.services];
    const known = all.map((c) => c.name);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) {
      throw new StackComponentError(unknown.join(', '), `unknown component; choose from ${known.join(', ')}`);
    }
    return names.length === 0 ? [...this.components] : all.filter((c) => names.includes(c.name));
  }

  /** Services and optional components that have a pid file: started at some point, so worth showing and stopping. */
  private startedServices(): StackComponent[] {
    return this.services.filter((s) => fs.existsSync(s.pidFile));
  }

  private startedOptional(): StackComponent[] {
    return this.optionalComponents.filter((c) => fs.existsSync(c.pidFile));
  }

  async up(names: readonly string[] = []): Promise<UpResult> {
    const { layout, config } = this.context;
    await ensurePrerequisites(this.log);
    await fetchArtifacts(config.repoRoot, layout.dist, this.log);
    for (const dir of [layout.root, layout.runDir, layout.logsDir]) fs.mkdirSync(dir, { recursive: true });

    const started: string[] = [];
    for (const component of this.select(names)) {
      let pid = runningPid(component.pidFile);
      if (pid === undefined) {
        if (await portInUse(config.stack.host, component.port)) {
          throw new StackComponentError(
            component.name,
            `port ${component.port} on ${config.stack.host} is taken by a process this stack did not start ` +
              `(another checkout's stack?). Stop that process, or pick another port with the OUTFLOW_*_PORT variables`,
          );
        }
        this.log(`starting ${component.name} on port ${component.port}`);
        const begun = Date.now();
        try {
          await component.prepare();
          pid = await component.start();
        } catch (error) {
          throw this.failure(component, 'failed to start', error);
        }
        writePid(component.pidFile, pid);
        started.push(component.name);
        await this.awaitHealthy(component, pid);
        this.log(`${component.name} healthy after ${((Date.now() - begun) / 1000).toFixed(1)} s`);
      } else {
        await this.awaitHealthy(component, pid);
      }
      try {
        await component.afterStart?.();
      } catch (error) {
        throw this.failure(component, 'bootstrap after start failed', error);
      }
    }
    return { statuses: await this.status(names), started };
  }

  async down({ names = [], wipe = false }: { names?: readonly string[]; wipe?: boolean } = {}): Promise<string[]> {
    const stopped: string[] = [];
    const targets = names.length ? this.select(names) : [...this.components, ...this.startedOptional(), ...this.services];
    for (const component of [...targets].reverse()) {
      const pid = runningPid(component.pidFile);
      if (pid !== undefined) {
        this.log(`stopping ${component.name} (pid ${pid})`);
        await component.stop(pid);
        stopped.push(component.name);
      }
      fs.rmSync(component.pidFile, { force: true });
    }
    if (wipe) {
      if (names.length) for (const c of this.select(names)) fs.rmSync(c.dataDir, { recursive: true, force: true });
      else fs.rmSync(this.context.layout.root, { recursive: true, force: true });
    }
    return stopped;
  }

  async status(names: readonly string[] = []): Promise<ComponentStatus[]> {
    const targets = names.length ? this.select(names) : [...this.components, ...this.startedOptional(), ...this.startedServices()];
    return Promise.all(
      targets.map(async (component): Promise<ComponentStatus> => {
        const pid = runningPid(component.pidFile);
        const base = { name: component.name, port: component.port, pid, dataDir: component.dataDir };
        if (pid === undefined) return { ...base, version: component.version, health: 'stopped', detail: 'not running' };
        try {
          const detail = await withTimeout(component.probe(), PROBE_TIMEOUT_MS);
          return { ...base, version: component.version, health: 'healthy', detail };
        } catch (error) {
          return { ...base, version: component.version, health: 'unhealthy', detail: describe(error) };
        }
      }),
    );
  }

  private async awaitHealthy(component: StackComponent, pid: number): Promise<void> {
    const timeoutMs = this.context.config.stack.startTimeoutMs;
    let outcome: { exited: boolean };
    try {
      outcome = await pollUntil(
        `${component.name} to become healthy`,
        async () => {
          // Exiting during start-up is final: there is no point waiting out the deadline.
          if (runningPid(component.pidFile) !== pid) return { exited: true };
          await withTimeout(component.probe(), PROBE_TIMEOUT_MS);
          return { exited: false };
        },
        { timeoutMs, intervalMs: 500 },
      );
    } catch (error) {
      throw this.failure(component, `did not become healthy within ${timeoutMs / 1000} s`, error);
    }
    if (outcome.exited) throw this.failure(component, `process ${pid} exited during start-up`, new Error('see the log below'));
  }

  private failure(component: StackComponent, what: string, error: unknown): StackComponentError {
    if (error instanceof StackComponentError) return error;
    return new StackComponentError(component.name, `${what}: ${describe(error)}`, {
      cause: error,
      logTail: tailFile(component.logFile),
    });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
