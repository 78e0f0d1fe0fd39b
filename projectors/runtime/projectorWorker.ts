// A projector worker: one process-level Kafka client, store connections and codec, one
// consumer per projection, a DLQ producer, /health and /metrics. Any number of workers may
// run the same projections: they share each projection's consumer group, so Kafka spreads
// the partitions among them and moves them when one joins or leaves.
import { EventEmitter } from 'node:events';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type pino from 'pino';
import type client from 'prom-client';
import type { Config } from '../../lib/config.ts';
import { UnknownProjection } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { createMetricsRegistry } from '../../lib/metrics.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import type { ProjectionDefinition, ProjectionStore } from '../projection.ts';
import { DeadLetterWriter, ensureDlqTopic } from './deadLetterQueue.ts';
import { kafkaLogCreator } from './kafkaLogging.ts';
import type { EmitLifecycle, ProjectorLifecycleEvents } from './lifecycleEvents.ts';
import { ParkedKeyCache } from './parkedKeyCache.ts';
import { ensureParkedKeysTable } from './parkedKeysTable.ts';
import { ensureSkippedMessagesTable } from './skippedMessagesTable.ts';
import { startHealthServer, type HealthReport, type HealthServer } from './projectorHttp.ts';
import { createProjectorMetrics } from './projectorMetrics.ts';
import { ProjectionConsumer } from './projectionConsumer.ts';
import { defaultBackoff, type BackoffOptions } from './retryBackoff.ts';
import { openStoreContext, type OpenStoreContext } from './storeContext.ts';

export interface ProjectorWorkerOptions {
  config: Config;
  projections: readonly ProjectionDefinition[];
  /** Physical generation to build and serve (default 1, the live one). */
  generation?: number;
  /** Partitions each projection processes at once (kafkajs partitionsConsumedConcurrently). */
  concurrency?: number;
  /** /health and /metrics port; 0 = any free port; null = no HTTP server. Default config.projector.httpPort. */
  httpPort?: number | null;
  log?: pino.Logger;
  /** Most messages written to a store in one batch (each chunk has its own checkpoint). */
  chunkSize?: number;
  /** Non-retriable failures of one event before it is parked as poison. */
  poisonAttempts?: number;
  backoff?: BackoffOptions;
  /** How stale the cached set of parked keys may get. */
  parkedKeysTtlMs?: number;
  /** Defaults to a fresh registry with the process metrics. */
  metricsRegistry?: client.Registry;
}

export class ProjectorWorker extends EventEmitter<ProjectorLifecycleEvents> {
  readonly log: pino.Logger;
  readonly metricsRegistry: client.Registry;
  readonly generation: number;
  private readonly consumers = new Map<string, ProjectionConsumer>();
  private readonly stores: ProjectionStore[] = [];
  private http: HealthServer | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: ProjectorWorkerOptions,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly dlq: DeadLetterWriter,
    private readonly storeContext: OpenStoreContext,
  ) {
    super();
    this.generation = options.generation ?? 1;
    this.log = options.log ?? createLogger('projector', options.config.logLevel);
    this.metricsRegistry = options.metricsRegistry ?? createMetricsRegistry('projector');
  }

  /** Starts consuming every given projection; resolves once all consumers run and HTTP listens. */
  static async start(options: ProjectorWorkerOptions): Promise<ProjectorWorker> {
    const { config, projections } = options;
    if (projections.length === 0) throw new UnknownProjection(['(none given)'], []);
    const log = options.log ?? createLogger('projector', config.logLevel);
    const kafka = new Kafka({ clientId: `${config.kafka.clientId}-projector`, brokers: config.kafka.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(log) });
    const admin = kafka.admin();
    const dlq = new DeadLetterWriter(kafka);
    const storeContext = openStoreContext(config, options.generation ?? 1);
    const worker = new ProjectorWorker({ ...options, log }, kafka, admin, dlq, storeContext);
    try {
      await worker.startAll();
    } catch (error) {
      // The start failure is what the caller needs; a failing cleanup is only logged.
      await worker.stop().catch((stopError: unknown) => log.error({ err: stopError }, 'cleanup after a failed start failed'));
      throw error;
    }
    return worker;
  }

  /** The port /health and /metrics listen on, when they do. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  health(): HealthReport {
    const projections = Object.fromEntries(
      [...this.consumers].map(([name, consumer]) => [name, { state: consumer.state, groupId: consumer.groupId, assignment: consumer.assignment }]),
    );
    const crashed = [...this.consumers.values()].some((consumer) => consumer.state === 'crashed');
    return { status: crashed ? 'crashed' : 'ok', projections };
  }

  /** Graceful: each consumer finishes its chunk, writes the checkpoint, commits and leaves the group. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async startAll(): Promise<void> {
    const { config, projections } = this.options;
    const { context } = this.storeContext;
    const codec = await EventCodec.connect(config);
    await this.admin.connect();
    await this.dlq.connect();
    await ensureParkedKeysTable(context.readPostgres);
    await ensureSkippedMessagesTable(context.readPostgres);
    const metrics = createProjectorMetrics(this.metricsRegistry);
    const emit: EmitLifecycle = this.emit.bind(this);
    for (const definition of projections) {
      await ensureDlqTopic(this.admin, definition.name);
      const store = definition.createStore(context);
      this.stores.push(store);
      await store.init();
      const parked = new ParkedKeyCache(context.readPostgres, definition.name, this.generation, this.options.parkedKeysTtlMs ?? 1_000);
      await parked.reload();
      const log = this.log.child({ projection: definition.name, generation: this.generation });
      const consumer = new ProjectionConsumer({
        kafka: this.kafka,
        admin: this.admin,
        definition,
        concurrency: this.options.concurrency ?? 3,
        chunkSize: this.options.chunkSize ?? 500,
        backoff: this.options.backoff ?? defaultBackoff,
        chunk: {
          projection: definition.name,
          generation: this.generation,
          store,
          codec,
          handled: new Set(definition.eventTypes),
          dlq: this.dlq,
          readPostgres: context.readPostgres,
          parked,
          poisonAttempts: this.options.poisonAttempts ?? 3,
          metrics,
          emit,
          log,
        },
      });
      this.consumers.set(definition.name, consumer);
      await consumer.start();
      log.info({ groupId: consumer.groupId, topics: consumer.topics }, 'projection consuming');
    }
    const httpPort = this.options.httpPort === undefined ? config.projector.httpPort : this.options.httpPort;
    if (httpPort !== null) {
      this.http = await startHealthServer({ host: config.stack.host, port: httpPort, registry: this.metricsRegistry, health: () => this.health() });
      this.log.info({ port: this.http.port }, `projector /health and /metrics on http://${config.stack.host}:${this.http.port}`);
    }
  }

  private async stopAll(): Promise<void> {
    const steps: [string, () => Promise<unknown>][] = [
      ...[...this.consumers].map(([name, consumer]): [string, () => Promise<unknown>] => [`consumer ${name}`, () => consumer.stop()]),
      ['DLQ producer', () => this.dlq.disconnect()],
      ['Kafka admin', () => this.admin.disconnect()],
      ...this.stores.map((store, index): [string, () => Promise<unknown>] => [`store ${index}`, () => store.close()]),
      ['HTTP', () => this.http?.close() ?? Promise.resolve()],
      ['store connections', () => this.storeContext.close()],
    ];
    // Every step runs even if an earlier one fails: a half-closed worker would hang the process.
    const failures: unknown[] = [];
    for (const [what, step] of steps) {
      await step().catch((error: unknown) => {
        failures.push(error);
        this.log.error({ err: error, what }, 'shutdown step failed');
      });
    }
    this.log.info({ failures: failures.length }, 'projector stopped');
    if (failures.length) throw failures[0];
  }
}

/** Starts a worker for `projections` (see ProjectorWorkerOptions); stop it with `worker.stop()`. */
export function runProjectors(options: ProjectorWorkerOptions): Promise<ProjectorWorker> {
  return ProjectorWorker.start(options);
}

/** Picks projections by name; unknown names throw UnknownProjection listing the known ones. */
export function selectProjections(all: readonly ProjectionDefinition[], names: readonly string[] | undefined): ProjectionDefinition[] {
  if (!names || names.length === 0) return [...all];
  const known = all.map((definition) => definition.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) throw new UnknownProjection(unknown, known);
  return all.filter((definition) => names.includes(definition.name));
}
