// The one place that reads process.env. Everything else receives a frozen Config.
// Defaults point at the native local stack (`outflow stack up`), whose ports are
// deliberately not the services' standard ones so they never collide with
// servers already running on the machine.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRole, ROLES, type Role } from './auth/roles.ts';
import { ConfigError } from './errors.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Env = Record<string, string | undefined>;

function readString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return value;
}

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(name, raw, 'a TCP port between 1 and 65535');
  }
  return port;
}

/** A port to listen on, where 0 asks the OS for a free one (the bound port is logged). */
function readListenPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, raw, 'a TCP port between 0 (any free port) and 65535');
  }
  return port;
}

function readPositiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(name, raw, 'a positive integer');
  return n;
}

function readNonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, raw, 'an integer of 0 or more');
  return n;
}

/** An integer, or undefined when the variable is unset. */
function readOptionalInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new ConfigError(name, raw, 'an integer');
  return n;
}

/** Elasticsearch replicas: a count, or a range `min-max` / `min-all` that grows with the nodes (auto_expand_replicas). */
function readReplicas(env: Env, name: string, fallback: string): { count: number } | { autoExpand: string } {
  const raw = readString(env, name, fallback);
  if (/^\d+$/.test(raw)) return { count: Number(raw) };
  if (/^\d+-(\d+|all)$/.test(raw)) return { autoExpand: raw };
  throw new ConfigError(name, raw, 'a replica count such as 1, or a range such as 0-1 or 1-all that follows the number of nodes');
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const value = readString(env, name, fallback);
  if (!(choices as readonly string[]).includes(value)) throw new ConfigError(name, value, `one of ${choices.join(', ')}`);
  return value as T;
}

/** host:port,host:port,... */
function readHostPorts(env: Env, name: string, fallback: string): { host: string; port: number }[] {
  const value = readString(env, name, fallback);
  return value.split(',').map((entry) => {
    const match = /^\s*([^\s:]+):(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError(name, value, 'a comma-separated list of host:port');
    return { host: match[1] as string, port };
  });
}

function readUrl(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  try {
    new URL(value);
  } catch {
    throw new ConfigError(name, value, 'an absolute URL such as http://127.0.0.1:8080');
  }
  return value.replace(/\/+$/, '');
}

export interface ApiKeyConfig {
  name: string;
  key: string;
  role: Role;
  customerId?: string;
}

/**
 * OUTFLOW_API_KEYS: comma-separated `name=key:admin`, `name=key:analyst` or
 * `name=key:customer:<customerId>`. Unset is null (the built-in local keys, on loopback only);
 * set but empty is no keys at all.
 */
function readApiKeys(env: Env, name: string): ApiKeyConfig[] | null {
  const raw = env[name];
  if (raw === undefined) return null;
  const expected = 'comma-separated entries name=key:admin, name=key:analyst or name=key:customer:<customerId>';
  const keys = raw.split(',').filter((entry) => entry.trim()).map((entry): ApiKeyConfig => {
    const match = /^([\w.-]+)=([^:,]{16,}):([a-z]+)(?::([^:,]+))?$/.exec(entry.trim());
    if (!match) throw new ConfigError(name, '(redacted)', `${expected}; keys at least 16 characters`);
    const [, keyName, key, role, customerId] = match as unknown as [string, string, string, string, string | undefined];
    if (!isRole(role)) throw new ConfigError(name, '(redacted)', `a known role on ${keyName}: one of ${ROLES.join(', ')}`);
    if (role === 'customer' && !customerId) throw new ConfigError(name, '(redacted)', `a customer id on ${keyName}: ${keyName}=<key>:customer:<customerId>`);
    if (role !== 'customer' && customerId) throw new ConfigError(name, '(redacted)', `no customer id on the ${role} key ${keyName}`);
    return role === 'customer' ? { name: keyName, key, role, customerId: customerId as string } : { name: keyName, key, role };
  });
  const names = keys.map((k) => k.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  // A configured key's identity is its name, so two keys under one name would share idempotency records.
  if (repeated) throw new ConfigError(name, '(redacted)', `each key name once; ${repeated} appears twice`);
  return keys;
}

/** A Postgres size setting such as 512MB or 2GB (a bound is required: -1, no bound, is refused). */
function readWalSize(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!/^[1-9]\d*(kB|MB|GB|TB)$/.test(value)) throw new ConfigError(name, value, 'a size with a unit, e.g. 512MB or 2GB');
  return value;
}

function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The local stack's Redis Cluster: three primaries, each with one replica. */
export const REDIS_CLUSTER_NODES = 6;

export function loadConfig(env: Env = process.env) {
  const host = readString(env, 'OUTFLOW_HOST', '127.0.0.1');
  const stackDir = path.resolve(readString(env, 'OUTFLOW_STACK_DIR', path.join(repoRoot, '.stack')));
  // Downloads are the same for every stack instance (the user's and the test suite's), so
  // they live apart from any one instance's data and are fetched once.
  const distDir = path.resolve(readString(env, 'OUTFLOW_STACK_DIST_DIR', path.join(repoRoot, '.stack', 'dist')));

  const pgPort = readPort(env, 'OUTFLOW_PG_PORT', 15432);
  const redisPort = readPort(env, 'OUTFLOW_REDIS_PORT', 16379);
  const redisClusterPort = readPort(env, 'OUTFLOW_REDIS_CLUSTER_PORT', 16380);
  const redisLayout = readChoice(env, 'OUTFLOW_REDIS_LAYOUT', ['single', 'cluster'], 'single');
  const kafkaPort = readPort(env, 'OUTFLOW_KAFKA_PORT', 19092);
  const kafkaControllerPort = readPort(env, 'OUTFLOW_KAFKA_CONTROLLER_PORT', 19093);
  const connectPort = readPort(env, 'OUTFLOW_CONNECT_PORT', 18083);
  const registryPort = readPort(env, 'OUTFLOW_REGISTRY_PORT', 18081);
  const esPort = readPort(env, 'OUTFLOW_ES_PORT', 19200);
  const esTransportPort = readPort(env, 'OUTFLOW_ES_TRANSPORT_PORT', 19300);

  const pgStatementTimeoutMs = readPositiveInt(env, 'OUTFLOW_PG_STATEMENT_TIMEOUT_MS', 5_000);

  const logLevel = readString(env, 'OUTFLOW_LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('OUTFLOW_LOG_LEVEL', logLevel, 'one of fatal, error, warn, info, debug, trace, silent');
  }

  return deepFreeze({
    repoRoot,
    logLevel,
    stack: {
      dir: stackDir,
      /** Unpacked artifacts fetched through Maven, shared by every stack instance. */
      distDir,
      host,
      /** Unprivileged OS users the stack runs Postgres and Elasticsearch as when started by root. */
      postgresOsUser: readString(env, 'OUTFLOW_PG_OS_USER', 'postgres'),
      elasticsearchOsUser: readString(env, 'OUTFLOW_ES_OS_USER', 'outflow-es'),
      startTimeoutMs: readPositiveInt(env, 'OUTFLOW_STACK_START_TIMEOUT_MS', 180_000),
    },
    postgres: {
      host: readString(env, 'OUTFLOW_PG_HOST', host),
      port: pgPort,
      user: readString(env, 'OUTFLOW_PG_USER', 'outflow'),
      password: readString(env, 'OUTFLOW_PG_PASSWORD', 'outflow'),
      writeDatabase: readString(env, 'OUTFLOW_PG_WRITE_DB', 'outflow_write'),
      /** The payments service's own database (a second source), on the same server in the local stack. */
      paymentsDatabase: readString(env, 'OUTFLOW_PG_PAYMENTS_DB', 'outflow_payments'),
      registryDatabase: readString(env, 'OUTFLOW_PG_REGISTRY_DB', 'outflow_registry'),
      /** The role Debezium logs in with: REPLICATION + LOGIN, owner of the outbox. */
      cdcUser: readString(env, 'OUTFLOW_PG_CDC_USER', 'outflow_cdc'),
      cdcPassword: readString(env, 'OUTFLOW_PG_CDC_PASSWORD', 'outflow_cdc'),
      /**
       * The most WAL a replication slot may hold back (Postgres' max_slot_wal_keep_size), set by the
       * local stack on its write server: past it Postgres invalidates the slot rather than fill the disk.
       */
      maxSlotWalKeepSize: readWalSize(env, 'OUTFLOW_PG_MAX_SLOT_WAL_KEEP_SIZE', '2GB'),
    },
    readModel: {
      /** The read-model Postgres: a separate server from the write model's. */
      postgres: {
        host: readString(env, 'OUTFLOW_READ_PG_HOST', host),
        port: readPort(env, 'OUTFLOW_READ_PG_PORT', 15433),
        database: readString(env, 'OUTFLOW_READ_PG_DB', 'outflow_read'),
        /** Projectors: own the read tables. */
        user: readString(env, 'OUTFLOW_READ_PG_USER', 'outflow_projector'),
        password: readString(env, 'OUTFLOW_READ_PG_PASSWORD', 'outflow_projector'),
        /** The query API: may only read them, and has no credentials for the write model. */
        queryUser: readString(env, 'OUTFLOW_READ_PG_QUERY_USER', 'outflow_query'),
        queryPassword: readString(env, 'OUTFLOW_READ_PG_QUERY_PASSWORD', 'outflow_query'),
      },
    },
    redis: {
      url: readUrl(env, 'OUTFLOW_REDIS_URL', `redis://${host}:${redisPort}`),
      port: redisPort,
      /** 'single': one server at `url`; 'cluster': a Redis Cluster found through `clusterNodes` (the read models' keys are bucketed). */
      layout: redisLayout,
      /** Where the cluster is first reached; the local stack's own cluster by default. */
      clusterNodes: readHostPorts(
        env,
        'OUTFLOW_REDIS_CLUSTER_NODES',
        Array.from({ length: REDIS_CLUSTER_NODES }, (_, i) => `${host}:${redisClusterPort + i}`).join(','),
      ),
      /** The local stack's cluster: its first node listens here and the others on the next ports. */
      clusterPort: redisClusterPort,
      /**
       * On a cluster, how many replicas must hold a bucket's writes (Redis WAIT) before a
       * partition's checkpoint moves past them: a primary's failover then cannot lose what the
       * checkpoint says is applied. 0 trades that for not stalling while a primary has no replica.
       */
      waitReplicas: readNonNegativeInt(env, 'OUTFLOW_REDIS_WAIT_REPLICAS', redisLayout === 'cluster' ? 1 : 0),
      waitTimeoutMs: readPositiveInt(env, 'OUTFLOW_REDIS_WAIT_TIMEOUT_MS', 1_000),
      /** The query API's reads on a cluster: from the primaries, or spread over the replicas. */
      readFrom: readChoice(env, 'OUTFLOW_REDIS_READ_FROM', ['primary', 'replica'], 'primary'),
    },
    kafka: {
      brokers: readString(env, 'OUTFLOW_KAFKA_BROKERS', `${host}:${kafkaPort}`).split(','),
      port: kafkaPort,
      controllerPort: kafkaControllerPort,
      clientId: readString(env, 'OUTFLOW_KAFKA_CLIENT_ID', 'outflow'),
    },
    connect: {
      url: readUrl(env, 'OUTFLOW_CONNECT_URL', `http://${host}:${connectPort}`),
      port: connectPort,
      /**
       * A properties file on the Connect workers' host holding `cdc.password`; the connector
       * config names it through Connect's FileConfigProvider instead of carrying the password.
       * The local stack writes it.
       */
      secretsFile: readString(env, 'OUTFLOW_CONNECT_SECRETS_FILE', path.join(stackDir, 'config', 'kafka-connect', 'outflow-secrets.properties')),
    },
    events: {
      /** Partitions of each events.<aggregate> topic, fixed at creation: a key's partition depends on it. */
      partitions: readPositiveInt(env, 'OUTFLOW_EVENT_PARTITIONS', 12),
    },
    registry: {
      /** Apicurio's Confluent-compatible API: what @kafkajs/confluent-schema-registry talks to. */
      url: readUrl(env, 'OUTFLOW_REGISTRY_URL', `http://${host}:${registryPort}/apis/ccompat/v7`),
      port: registryPort,
    },
    commandApi: {
      host: readString(env, 'OUTFLOW_COMMAND_API_HOST', host),
      port: readPort(env, 'OUTFLOW_COMMAND_API_PORT', 13000),
    },
    queryApi: {
      host: readString(env, 'OUTFLOW_QUERY_API_HOST', host),
      port: readPort(env, 'OUTFLOW_QUERY_API_PORT', 13001),
      /** How long a read with X-Min-Version waits for the projection to reach that version. */
      minVersionTimeoutMs: readPositiveInt(env, 'OUTFLOW_QUERY_MIN_VERSION_TIMEOUT_MS', 1000),
      /** How often the Outflow-Freshness header's snapshot of each read model is read; 0 = no header. */
      freshnessRefreshMs: readNonNegativeInt(env, 'OUTFLOW_QUERY_FRESHNESS_REFRESH_MS', 1000),
    },
    projector: {
      /** Each projector worker's /health and /metrics; 0 = any free port. */
      httpPort: readListenPort(env, 'OUTFLOW_PROJECTOR_HTTP_PORT', 13100),
      /** How often a worker following the live generations reads the generation registry. */
      followIntervalMs: readPositiveInt(env, 'OUTFLOW_PROJECTOR_FOLLOW_INTERVAL_MS', 1000),
      /** /health/ready: messages each assigned partition may still have to apply. */
      readyLag: readNonNegativeInt(env, 'OUTFLOW_PROJECTOR_READY_LAG', 1000),
      /** /health/live: how long a partition with messages to apply may go without its checkpoint moving. */
      stallMs: readPositiveInt(env, 'OUTFLOW_PROJECTOR_STALL_S', 120) * 1000,
    },
    rebuild: {
      /** Rebuilds of different projections that may run at once (one per projection in any case). */
      maxConcurrent: readPositiveInt(env, 'OUTFLOW_REBUILD_MAX_CONCURRENT', 2),
      /** Events a new generation may still be behind the topics' ends when it counts as caught up. */
      lagThreshold: readPositiveInt(env, 'OUTFLOW_REBUILD_LAG_THRESHOLD', 100),
      /** How long a retired generation stays for `switch --to` (roll back) before workers drop it. */
      retiredGraceMs: readPositiveInt(env, 'OUTFLOW_RETIRED_GENERATION_GRACE_S', 3600) * 1000,
      /** How long a rebuild keeps feeding the new generation after its switch, waiting for a live worker to take over. */
      handoverTimeoutMs: readPositiveInt(env, 'OUTFLOW_REBUILD_HANDOVER_TIMEOUT_S', 30) * 1000,
    },
    auth: {
      /** null = not set: the built-in local keys, which only a service bound to loopback accepts (lib/auth/localKeys.ts). */
      apiKeys: readApiKeys(env, 'OUTFLOW_API_KEYS'),
      /** Requests per client address per minute whose key is not already known valid; beyond it, 429. */
      unverifiedKeysPerMinute: readPositiveInt(env, 'OUTFLOW_AUTH_UNVERIFIED_PER_MINUTE', 100),
      /** How long a stored key (and its role) is trusted without asking the key table again: a revocation's delay. */
      storedKeyTrustMs: readPositiveInt(env, 'OUTFLOW_STORED_KEY_TRUST_S', 30) * 1000,
    },
    /**
     * How long the APIs wait for each dependency before answering 503 (docs/operations.md, "Timeouts, 503s and health"):
     * every wait has an end, so an outage costs a request at most these, never a hang.
     */
    timeouts: {
      postgres: {
        /** Opening a connection, and waiting for a free one of the pool (pg connectionTimeoutMillis). */
        connectMs: readPositiveInt(env, 'OUTFLOW_PG_CONNECT_TIMEOUT_MS', 2_000),
        /** Server side: a statement running longer is cancelled (statement_timeout, SQLSTATE 57014). */
        statementMs: pgStatementTimeoutMs,
        /** Server side: waiting longer for a row lock fails the statement (lock_timeout, SQLSTATE 55P03). */
        lockMs: readPositiveInt(env, 'OUTFLOW_PG_LOCK_TIMEOUT_MS', 2_000),
        /**
         * Client side: no answer at all within this (a server or network that hangs) drops the
         * connection (pg query_timeout). Later than statement_timeout, so a live server answers first.
         */
        queryReadMs: pgStatementTimeoutMs + 1_000,
      },
      /** The query API's ioredis commandTimeout; a command queued while reconnecting waits at most this too. */
      redisCommandMs: readPositiveInt(env, 'OUTFLOW_REDIS_COMMAND_TIMEOUT_MS', 1_000),
      elasticsearch: {
        /** The query API's Elasticsearch client requestTimeout, per attempt. */
        requestMs: readPositiveInt(env, 'OUTFLOW_ES_REQUEST_TIMEOUT_MS', 3_000),
        /** Further attempts after a connection failure or timeout. */
        maxRetries: readNonNegativeInt(env, 'OUTFLOW_ES_MAX_RETRIES', 1),
      },
      http: {
        /** Receiving a whole request (fastify requestTimeout): a client sending slowly is cut off with 408. */
        requestMs: readPositiveInt(env, 'OUTFLOW_HTTP_REQUEST_TIMEOUT_MS', 10_000),
        /**
         * A socket with no traffic either way is closed (fastify connectionTimeout). Above the
         * 72 s keep-alive timeout, so idle kept-alive connections are closed by that, as clients expect.
         */
        connectionMs: readPositiveInt(env, 'OUTFLOW_HTTP_CONNECTION_TIMEOUT_MS', 90_000),
        /** How long /health/ready waits for each dependency's answer. */
        healthProbeMs: readPositiveInt(env, 'OUTFLOW_HEALTH_PROBE_TIMEOUT_MS', 2_000),
        /** The Retry-After of every 503, in seconds. */
        retryAfterS: readPositiveInt(env, 'OUTFLOW_HTTP_RETRY_AFTER_S', 2),
      },
    },
    tracing: {
      /**
       * OpenTelemetry tracing (lib/tracing.ts), off unless the standard variables ask for it:
       * OTEL_TRACES_EXPORTER other than 'none', or an OTLP endpoint; OTEL_SDK_DISABLED=true wins.
       * Endpoint, protocol, headers, sampler and resource are read by the SDK itself.
       */
      enabled: tracingRequested(env),
      /** OTEL_SERVICE_NAME when set; otherwise each service names itself (outflow-command-api, ...). */
      serviceName: env.OTEL_SERVICE_NAME?.trim() || undefined,
    },
    tests: {
      /** Seeds every random generator of the test suite (default: a fresh seed each run, printed beside each test). */
      seed: readOptionalInt(env, 'OUTFLOW_TEST_SEED'),
      /** Seeds the shuffled order of the test files (default: a fresh seed each run, printed first). */
      orderSeed: readOptionalInt(env, 'OUTFLOW_TEST_ORDER_SEED'),
    },
    elasticsearch: {
      url: readUrl(env, 'OUTFLOW_ES_URL', `http://${host}:${esPort}`),
      port: esPort,
      transportPort: esTransportPort,
      /** Primary shards of each read-model index a generation creates (fixed for that generation; a rebuild changes it). */
      shards: readPositiveInt(env, 'OUTFLOW_ES_SHARDS', 1),
      /** Replicas of each read-model index; the default adds one as soon as a second node joins. */
      replicas: readReplicas(env, 'OUTFLOW_ES_REPLICAS', '0-1'),
    },
  });
}

export type Config = ReturnType<typeof loadConfig>;

let cached: Config | undefined;

/** The process-wide configuration, read from the environment on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
