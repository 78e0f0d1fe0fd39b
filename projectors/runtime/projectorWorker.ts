// A projector worker: one process-level Kafka client, store connections and codec, one
// consumer per projection, a DLQ producer, /health and /metrics. Any number of workers may
// run the same projections: they share each projection's consumer group, so Kafka spreads
// the partitions among them and moves them when one joins or leaves.
//
// Without a fixed `generation` the worker follows the generation registry: each projection
// consumes its live generation, and when `outflow projections switch` (or a rebuild) makes
// another one live, the worker stops that projection's consumer gracefully and starts one in
// the new generation's group, which continues from that generation's own checkpoints. The
// same loop drops retired generations whose grace period has passed.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type pino from 'pino';
import type client from 'prom-client';
import type { Config } from '../../lib/config.ts';
import { UnknownProjection } from '../../lib/errors.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { createLogger } from '../../lib/logger.ts';
import { createMetricsRegistry } from '../../lib/metrics.ts';
import { EventCodec } from '../../schemas/eventCodec.ts';
import type { ProjectionDefinition, ProjectionStore } from '../projection.ts';
import { DeadLetterWriter, ensureDlqTopic } from './deadLetterQueue.ts';
import type { EmitLifecycle, ProjectorLifecycleEvents } from './lifecycleEvents.ts';
import type { LiveGenerations } from './liveGenerations.ts';
import { parkedKeyCacheOn } from './parkedKeyCache.ts';
import { ensureParkedKeysTable } from './parkedKeysTable.ts';
import { ensureSkippedMessagesTable } from './skippedMessagesTable.ts';
import { startHealthServer, type HealthReport, type HealthServer, type ProgressReport } from './projectorHttp.ts';
import { createProjectorMetrics } from './projectorMetrics.ts';
import { ProjectionConsumer } from './projectionConsumer.ts';
import { defaultBackoff, type BackoffOptions } from './retryBackoff.ts';
import { openStoreConnections, type OpenStoreConnections } from './storeConnections.ts';

export interface ProjectorWorkerOptions {
  config: Config;
  projections: readonly ProjectionDefinition[];
  /** Physical generation to build and serve; without one, each projection's live generation, followed as it changes. */
  generation?: number;
  /** Where the live generations are read, recorded and retired; required without a fixed `generation`. */
  liveGenerations?: LiveGenerations;
  /** Kafka client id (default `<OUTFLOW_KAFKA_CLIENT_ID>-projector`); a rebuild's consumers use their own, to tell them apart in the group. */
  clientId?: string;
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

const NO_LIVE_GENERATIONS = 'a projector worker without a fixed generation follows the live generations: pass liveGenerations';

interface RunningProjection {
  generation: number;
  consumer: ProjectionConsumer;
  store: ProjectionStore;
}

export class ProjectorWorker extends EventEmitter<ProjectorLifecycleEvents> {
  readonly log: pino.Logger;
  readonly metricsRegistry: client.Registry;
  /** The fixed generation, or 'live' when the worker follows the registry. */
  readonly generation: number | 'live';
  private readonly consumers = new Map<string, RunningProjection>();
  private http: HealthServer | undefined;
  private stopping: Promise<void> | undefined;
  private codec: EventCodec | undefined;
  private metrics: ReturnType<typeof createProjectorMetrics> | undefined;
  private following: Promise<void> | undefined;
  private readonly stopFollowing = new AbortController();

  private constructor(
    private readonly options: ProjectorWorkerOptions,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly dlq: DeadLetterWriter,
    private readonly stores: OpenStoreConnections,
  ) {
    super();
    this.generation = options.generation ?? 'live';
    this.log = options.log ?? createLogger('projector', options.config.logLevel);
    this.metricsRegistry = options.metricsRegistry ?? createMetricsRegistry('projector');
  }

  /** Starts consuming every given projection; resolves once all consumers run and HTTP listens. */
  static async start(options: ProjectorWorkerOptions): Promise<ProjectorWorker> {
    const { config, projections } = options;
    if (projections.length === 0) throw new UnknownProjection(['(none given)'], []);
    if (options.generation === undefined && !options.liveGenerations) throw new Error(NO_LIVE_GENERATIONS);
    const log = options.log ?? createLogger('projector', config.logLevel);
    const kafka = kafkaClient(config, 'projector', { log, clientId: options.clientId });
    const admin = kafka.admin();
    const dlq = new DeadLetterWriter(kafka);
    const stores = openStoreConnections(config);
    const worker = new ProjectorWorker({ ...options, log }, kafka, admin, dlq, stores);
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

  /** The generation each projection consumes now. */
  generations(): Record<string, number> {
    return Object.fromEntries([...this.consumers].map(([name, running]) => [name, running.generation]));
  }

  health(): HealthReport {
    const projections = Object.fromEntries(
      [...this.consumers].map(([name, { consumer, generation }]) => [name, { state: consumer.state, generation, groupId: consumer.groupId, assignment: consumer.assignment }]),
    );
    const crashed = [...this.consumers.values()].some(({ consumer }) => consumer.state === 'crashed');
    return { status: crashed ? 'crashed' : 'ok', projections };
  }

  /** Ready: every consumer running and caught up. Live: none crashed, none stuck. */
  progress(nowMs = Date.now()): ProgressReport {
    const { readyLag, stallMs } = this.options.config.projector;
    const projections: ProgressReport['projections'] = {};
    for (const [name, { consumer }] of this.consumers) {
      const state = consumer.state;
      const verdict = consumer.progressVerdict(nowMs, { readyLag, stallMs });
      const running = state === 'running' || state === 'retrying';
      projections[name] = { state, ready: running && verdict.ready, live: state !== 'crashed' && verdict.live, behind: verdict.behind, stalled: verdict.stalled };
    }
    const all = Object.values(projections);
    return { ready: all.every((p) => p.ready), live: all.every((p) => p.live), projections };
  }

  /** Graceful: each consumer finishes its chunk, writes the checkpoint, commits and leaves the group. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async startAll(): Promise<void> {
    const { config, projections } = this.options;
    const { connections } = this.stores;
    this.codec = await EventCodec.connect(config);
    await this.admin.connect();
    await this.dlq.connect();
    await ensureParkedKeysTable(connections.readPostgres);
    await ensureSkippedMessagesTable(connections.readPostgres);
    this.metrics = createProjectorMetrics(this.metricsRegistry);
    const follow = this.options.generation === undefined;
    if (follow) await this.liveGenerations().prepare(connections.readPostgres);
    for (const definition of projections) {
      await ensureDlqTopic(this.admin, definition.name);
      const generation = this.options.generation ?? (await this.recordedLiveGeneration(definition));
      await this.startProjection(definition, generation);
    }
    if (follow) this.following = this.followLiveGenerations(this.stopFollowing.signal);
    const httpPort = this.options.httpPort === undefined ? config.projector.httpPort : this.options.httpPort;
    if (httpPort !== null) {
      this.http = await startHealthServer({ host: config.stack.host, port: httpPort, registry: this.metricsRegistry, health: () => this.health(), progress: () => this.progress() });
      this.log.info({ port: this.http.port }, `projector /health and /metrics on http://${config.stack.host}:${this.http.port}`);
    }
  }

  private liveGenerations(): LiveGenerations {
    const { liveGenerations } = this.options;
    if (!liveGenerations) throw new Error(NO_LIVE_GENERATIONS);
    return liveGenerations;
  }

  /** The registry's live generation; recorded first when the projection has none (a new projection starts at 1, from offset 0). */
  private async recordedLiveGeneration(definition: ProjectionDefinition): Promise<number> {
    const { connections } = this.stores;
    const pointer = await definition.liveGeneration(connections);
    const { generation, recorded } = await this.liveGenerations().ensureLive(connections.readPostgres, definition, pointer);
    if (recorded) this.log.info({ projection: definition.name, generation, adopted: pointer !== undefined }, 'live generation recorded in the registry');
    return generation;
  }

  private async startProjection(definition: ProjectionDefinition, generation: number): Promise<void> {
    const { connections } = this.stores;
    const store = definition.createStore(connections, generation);
    await store.init();
    const parked = parkedKeyCacheOn(connections.readPostgres, definition.name, generation, this.options.parkedKeysTtlMs ?? 1_000);
    await parked.reload();
    const log = this.log.child({ projection: definition.name, generation });
    const emit: EmitLifecycle = this.emit.bind(this);
    const consumer = new ProjectionConsumer({
      kafka: this.kafka,
      admin: this.admin,
      definition,
      concurrency: this.options.concurrency ?? 3,
      chunkSize: this.options.chunkSize ?? 500,
      backoff: this.options.backoff ?? defaultBackoff,
      chunk: {
        projection: definition.name,
        generation,
        store,
        codec: this.codec!,
        handled: new Set(definition.eventTypes),
        dlq: this.dlq,
        readPostgres: connections.readPostgres,
        parked,
        poisonAttempts: this.options.poisonAttempts ?? 3,
        metrics: this.metrics!,
        emit,
        log,
      },
    });
    this.consumers.set(definition.name, { generation, consumer, store });
    await consumer.start();
    log.info({ groupId: consumer.groupId, topics: consumer.topics }, 'projection consuming');
  }

  /** Polls the registry; moves a projection whose live generation changed; drops retired generations past their grace. */
  private async followLiveGenerations(signal: AbortSignal): Promise<void> {
    const { config, projections } = this.options;
    const pool = this.stores.connections.readPostgres;
    const names = projections.map((definition) => definition.name);
    let lastDropCheck = 0;
    while (!signal.aborted) {
      try {
        await sleep(config.projector.followIntervalMs, undefined, { signal });
      } catch {
        return;
      }
      try {
        const live = await this.liveGenerations().live(pool, names);
        for (const definition of projections) {
          const target = live.get(definition.name);
          const running = this.consumers.get(definition.name);
          if (target === undefined || running?.generation === target || signal.aborted) continue;
          // Without `running`, an earlier move failed after stopping the old consumer: start again.
          if (running) {
            this.log.info({ projection: definition.name, from: running.generation, to: target }, 'live generation changed; moving to its consumer group');
            await running.consumer.stop();
            await running.store.close();
            this.consumers.delete(definition.name);
          }
          await this.startProjection(definition, target);
          if (running) this.emit('generation', { projection: definition.name, from: running.generation, to: target });
        }
        if (Date.now() - lastDropCheck >= Math.min(60_000, config.rebuild.retiredGraceMs)) {
          lastDropCheck = Date.now();
          await this.dropExpiredGenerations(names);
        }
      } catch (error) {
        // The registry or a store being briefly unreachable must not stop the worker: the next round tries again.
        this.log.warn({ err: error }, 'following the live generations failed this round');
      }
    }
  }

  private async dropExpiredGenerations(names: readonly string[]): Promise<void> {
    const { config, projections } = this.options;
    const { connections } = this.stores;
    for (const row of await this.liveGenerations().expiredRetired(connections.readPostgres, names, config.rebuild.retiredGraceMs)) {
      const definition = projections.find((p) => p.name === row.projection)!;
      // Another worker may drop it first: its state is then no longer retired, which dropGeneration refuses.
      const dropped = await this.liveGenerations().drop(connections, definition, row.generation, this.admin).then(
        () => true,
        () => false,
      );
      if (dropped) this.log.info({ projection: row.projection, generation: row.generation }, 'retired generation dropped after its grace period');
    }
  }

  private async stopAll(): Promise<void> {
    this.stopFollowing.abort();
    // Every step runs even if an earlier one fails: a half-closed worker would hang the process.
    const failures: unknown[] = [];
    const step = (what: string, work: () => Promise<unknown>) =>
      work().catch((error: unknown) => {
        failures.push(error);
        this.log.error({ err: error, what }, 'shutdown step failed');
      });
    // The follower may be moving a projection to a new generation: that consumer exists only once
    // the move ends, so the consumers are listed after the follower has stopped, not before.
    await step('following the registry', () => this.following ?? Promise.resolve());
    const running = [...this.consumers];
    for (const [name, { consumer }] of running) await step(`consumer ${name}`, () => consumer.stop());
    await step('DLQ producer', () => this.dlq.disconnect());
    await step('Kafka admin', () => this.admin.disconnect());
    for (const [name, { store }] of running) await step(`store ${name}`, () => store.close());
    await step('HTTP', () => this.http?.close() ?? Promise.resolve());
    await step('store connections', () => this.stores.close());
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
