// Apicurio Registry, the Quarkus distribution from Maven Central, storing schemas in
// the stack's Postgres (so ids survive restarts and `down` without `--wipe`). The
// pipeline only talks to its Confluent-compatible API (config.registry.url).
import fs from 'node:fs';
import path from 'node:path';
import { spawnDetached, stopProcess } from '../processControl.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';
import { requireJava } from './jvmProcess.ts';

/** Apicurio 3.x is compiled for Java 21 (class files v65); the stack's other JVMs run on 17. */
export const REGISTRY_MIN_JAVA = 21;

export function registryComponent(context: ComponentContext): StackComponent {
  const { config, layout, versions } = context;
  const dataDir = layout.data('registry');
  const logFile = layout.logFile('registry');
  const host = config.stack.host;
  const { port } = config.registry;
  // The distribution is built with Quarkus' management interface on, which serves
  // /health (and /metrics) on a port of its own: the one next to the API's.
  const managementPort = port + 1;
  const pg = config.postgres;

  // Runtime configuration as system properties; the password goes in the environment.
  const properties: Record<string, string | number> = {
    'quarkus.http.host': host,
    'quarkus.http.port': port,
    'quarkus.management.host': host,
    'quarkus.management.port': managementPort,
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'postgresql',
    'apicurio.datasource.url': `jdbc:postgresql://${pg.host}:${pg.port}/${pg.registryDatabase}`,
    'apicurio.datasource.username': pg.user,
    // The defaults (20/20/100) would hold a fifth of Postgres' connections while idle.
    'apicurio.datasource.jdbc.initial-size': 2,
    'apicurio.datasource.jdbc.min-size': 2,
    'apicurio.datasource.jdbc.max-size': 10,
    // Confluent semantics: ccompat ids are content ids (the same schema text gets the
    // same id under every subject), not per-version global ids. These are the 3.x
    // defaults, pinned so a changed default cannot renumber what producers wrote.
    'apicurio.ccompat.legacy-id-mode.enabled': 'false',
    // Look schemas up by canonical form, as Confluent does: re-registering a schema
    // that only differs in whitespace or key order finds the existing version.
    'apicurio.ccompat.use-canonical-hash': 'true',
    // No authentication, so no OIDC discovery against an identity server.
    'quarkus.oidc.tenant-enabled': 'false',
    // Telemetry is off in the distribution; pinned so nothing dials an OTLP collector.
    'quarkus.otel.sdk.disabled': 'true',
    // Every probe would otherwise be an access-log line.
    'quarkus.http.access-log.enabled': 'false',
    'quarkus.log.level': 'INFO',
    // Uploads and snapshots default to /tmp; keep them with the component.
    'apicurio.import.work-dir': dataDir,
    'apicurio.storage.snapshot.location': dataDir,
  };

  return {
    name: 'registry',
    version: versions.apicurio,
    port,
    dataDir,
    logFile,
    pidFile: layout.pidFile('registry'),

    async prepare() {
      // Storage is the registry database (created by postgres' afterStart); the tables
      // are created by the registry itself on first start (apicurio.sql.init).
      fs.mkdirSync(dataDir, { recursive: true });
    },

    async start() {
      return spawnDetached({
        command: await requireJava(REGISTRY_MIN_JAVA, 'Apicurio Registry'),
        args: [
          '-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
          ...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`),
          '-jar', path.join(layout.dist, `apicurio-${versions.apicurio}`, 'quarkus-run.jar'),
        ],
        env: { ...process.env, APICURIO_DATASOURCE_PASSWORD: pg.password },
        cwd: dataDir,
        logFile,
      });
    },

    async probe() {
      const ready = await fetch(`http://${host}:${managementPort}/health/ready`, { signal: AbortSignal.timeout(3000) });
      if (ready.status !== 200) throw new Error(`GET /health/ready answered ${ready.status}`);
      // Ready is not enough: the ccompat API is what clients use, and it reads storage.
      const subjects = await fetch(`${config.registry.url}/subjects`, { signal: AbortSignal.timeout(3000) });
      if (subjects.status !== 200) throw new Error(`GET ${config.registry.url}/subjects answered ${subjects.status}`);
      const list = (await subjects.json()) as string[];
      return `ready, ${list.length} subjects`;
    },

    stop: (pid) => stopProcess(pid, { signal: 'SIGTERM', graceMs: 30_000 }),
  };
}
