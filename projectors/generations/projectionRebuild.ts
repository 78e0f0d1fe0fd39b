// `outflow projections rebuild`: builds a new generation of a projection from the whole event
// history beside the live one, then switches the readers to it.
//
//   1. takes the projection's rebuild lock and a slot (rebuildLock.ts), or is refused;
//   2. records the live generation if the registry has none yet, then creates generation n+1
//      (or resumes the building one a previous run left, from its checkpoints);
//   3. captures each partition's end offset and runs `parallel` consumers of the generation's
//      own group from offset 0 (the group has no offsets and the store no checkpoints), in
//      this process, with the projector runtime itself: same decoding, DLQ, retries;
//   4. after the replay keeps consuming until the generation is within the lag threshold of
//      the topics' ends, records it as caught up, then switches (auto) or waits until an
//      operator switches (manual);
//   5. keeps feeding the new generation until a live worker has joined its group (the live
//      workers follow the registry), so no event waits for the hand-over.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type pino from 'pino';
import type { Config } from '../../lib/config.ts';
import { GenerationRefused } from '../../lib/errors.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { createLogger } from '../../lib/logger.ts';
import { consumerGroupOf, type ProjectionDefinition, type StoreConnections } from '../projection.ts';
import { ensureParkedKeysTable, listParkedKeys } from '../runtime/parkedKeysTable.ts';
import { topicsOf } from '../projection.ts';
import { ProjectorWorker } from '../runtime/projectorWorker.ts';
import { ensureSkippedMessagesTable } from '../runtime/skippedMessagesTable.ts';
import { openStoreConnections } from '../runtime/storeConnections.ts';
import {
  createBuildingGeneration,
  ensureGenerationRegistry,
  ensureLiveGeneration,
  listGenerations,
  markCaughtUp,
  markRebuildStarted,
  readGeneration,
  restartBuildingGeneration,
  withRegistryLock,
} from './generationRegistry.ts';
import { dropGenerationData, switchGeneration } from './generationSwitch.ts';
import { fingerprintChanges, fingerprintOf } from './projectionFingerprint.ts';
import { RebuildLock } from './rebuildLock.ts';
import { captureEndOffsets, currentLag, replayProgress, type RebuildPhase, type RebuildProgress } from './rebuildProgress.ts';

export type SwitchMode = 'auto' | 'manual';

export interface RebuildOptions {
  config: Config;
  definition: ProjectionDefinition;
  /** Consumers in the new generation's group: Kafka splits the partitions among them. */
  parallel?: number;
  switchMode?: SwitchMode;
  /** Discard a half-built generation left by an interrupted rebuild instead of resuming it. */
  fromScratch?: boolean;
  /** Partitions each consumer processes at once. */
  concurrency?: number;
  chunkSize?: number;
  progressIntervalMs?: number;
  onProgress?: (progress: RebuildProgress) => void;
  /** Aborting stops the consumers gracefully; the generation stays, to be resumed. */
  signal?: AbortSignal;
  log?: pino.Logger;
  /** The consumers' log (default `log`): rebalances and parking happen at warn level in a replay. */
  workerLog?: pino.Logger;
}

export interface RebuildResult {
  projection: string;
  generation: number;
  /** The live generation when the rebuild started. */
  previous: number;
  resumed: boolean;
  switched: boolean;
  interrupted: boolean;
  /** Messages of the replay range (offset 0 to the ends captured at start). */
  replayed: number;
  /** Replay range divided by the time to finish it (this run's share when resumed). */
  eventsPerSecond: number;
  /** Keys parked in the new generation (`outflow dlq list NAME --generation <generation>`). */
  parkedKeys: number;
  durationMs: number;
}

const REBUILD_PURPOSE = 'rebuild';

export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { config, definition } = options;
  const log = options.log ?? createLogger('rebuild', config.logLevel);
  const lock = await RebuildLock.acquire(config, definition.name);
  const stores = openStoreConnections(config);
  const clientId = `${config.kafka.clientId}-${REBUILD_PURPOSE}`;
  const kafka = kafkaClient(config, REBUILD_PURPOSE, { log });
  const admin = kafka.admin();
  const workers: ProjectorWorker[] = [];
  try {
    await admin.connect();
    const pool = stores.connections.readPostgres;
    await ensureGenerationRegistry(pool);
    await ensureParkedKeysTable(pool);
    await ensureSkippedMessagesTable(pool);
    const fingerprint = fingerprintOf(definition);
    const pointer = await definition.liveGeneration(stores.connections);
    const { generation: previous } = await ensureLiveGeneration(pool, definition.name, pointer, fingerprint);
    const { generation, resumed } = await prepareGeneration(stores.connections, definition, admin, options.fromScratch ?? false, log);
    log.info({ projection: definition.name, generation, previous, resumed }, resumed ? 'resuming the building generation' : 'building a new generation');

    const store = definition.createStore(stores.connections, generation);
    await store.init();
    const topics = topicsOf(definition);
    const ranges = await captureEndOffsets(admin, topics);
    const startedAt = Date.now();
    const initial = await replayProgress(store, ranges);
    for (let i = 0; i < (options.parallel ?? 1); i++) {
      workers.push(
        await ProjectorWorker.start({
          config,
          projections: [definition],
          generation,
          httpPort: null,
          log: (options.workerLog ?? log).child({ consumer: i }),
          clientId,
          concurrency: options.concurrency,
          chunkSize: options.chunkSize,
        }),
      );
    }

    const report = (phase: RebuildPhase, done: number, total: number, eventsPerSecond: number, lag: number | null) => {
      const remaining = total - done;
      const etaSeconds = remaining <= 0 ? 0 : eventsPerSecond > 0 ? remaining / eventsPerSecond : null;
      options.onProgress?.({ projection: definition.name, generation, phase, done, total, eventsPerSecond, etaSeconds, lag, elapsedMs: Date.now() - startedAt });
    };
    const interval = options.progressIntervalMs ?? 1000;
    let phase: RebuildPhase = 'replaying';
    let last = { done: initial.done, at: startedAt };
    let replayFinishedAt: number | undefined;
    let progress = initial;
    for (;;) {
      if (lock.lost) throw new Error(`the rebuild lock's connection failed (${lock.lost.message}); run the rebuild again to resume`, { cause: lock.lost });
      const crashed = workers.find((worker) => worker.health().status === 'crashed');
      if (crashed) throw new Error(`a consumer of ${definition.name} generation ${generation} crashed; see the log, then run the rebuild again to resume`);
      progress = await replayProgress(store, ranges);
      const now = Date.now();
      const rate = now > last.at ? ((progress.done - last.done) * 1000) / (now - last.at) : 0;
      last = { done: progress.done, at: now };
      let lag: number | null = null;
      if (progress.done >= progress.total) {
        replayFinishedAt ??= now;
        lag = await currentLag(admin, store, topics);
        if (phase === 'replaying') phase = 'catching-up';
      }
      if (phase === 'catching-up' && lag !== null && lag <= config.rebuild.lagThreshold) {
        await markCaughtUp(pool, definition.name, generation);
        if ((options.switchMode ?? 'auto') === 'auto') {
          const outcome = await switchGeneration(stores.connections, definition, generation);
          log.info({ projection: definition.name, from: outcome.from, to: generation }, 'switched');
          phase = 'switched';
          report(phase, progress.done, progress.total, rate, lag);
          break;
        }
        phase = 'ready';
        log.warn({ projection: definition.name, generation }, `caught up; switch with: outflow projections switch ${definition.name}`);
      }
      if (phase === 'ready') {
        const row = await readGeneration(pool, definition.name, generation);
        if (row?.state === 'live') {
          phase = 'switched';
          report(phase, progress.done, progress.total, rate, lag);
          break;
        }
        if (row?.state !== 'building') throw new GenerationRefused(definition.name, generation, `became ${row?.state ?? 'unknown'} while waiting for the switch`);
      }
      report(phase, progress.done, progress.total, rate, lag);
      if (options.signal?.aborted || !(await pause(interval, options.signal))) {
        report('interrupted', progress.done, progress.total, rate, lag);
        return await result(false, true);
      }
    }

    phase = 'handover';
    report(phase, progress.done, progress.total, 0, null);
    const handedOver = await waitForLiveWorker(admin, consumerGroupOf(definition.name, generation), clientId, config.rebuild.handoverTimeoutMs, options.signal);
    if (!handedOver) log.warn({ projection: definition.name, generation }, 'no live worker joined the new generation within the hand-over timeout; start one (`outflow projector run`)');
    report('done', progress.done, progress.total, 0, null);
    return await result(true, false);

    async function result(switched: boolean, interrupted: boolean): Promise<RebuildResult> {
      const replaySeconds = ((replayFinishedAt ?? Date.now()) - startedAt) / 1000;
      return {
        projection: definition.name,
        generation,
        previous,
        resumed,
        switched,
        interrupted,
        replayed: progress.total,
        eventsPerSecond: replaySeconds > 0 ? (progress.done - initial.done) / replaySeconds : 0,
        parkedKeys: (await listParkedKeys(pool, definition.name, generation)).length,
        durationMs: Date.now() - startedAt,
      };
    }
  } finally {
    // Graceful: each consumer finishes its chunk and writes its checkpoint, so a re-run resumes exactly there.
    // All at once: one by one, each leaving would rebalance the partitions onto the others first.
    await Promise.all(workers.map((worker) => worker.stop().catch((error: unknown) => log.error({ err: error }, 'stopping a rebuild consumer failed'))));
    await admin.disconnect().catch(() => undefined);
    await stores.close();
    await lock.release();
  }
}

/** The building generation to fill: a resumed one, one restarted from scratch, or a new one. */
async function prepareGeneration(
  context: StoreConnections,
  definition: ProjectionDefinition,
  admin: Admin,
  fromScratch: boolean,
  log: pino.Logger,
): Promise<{ generation: number; resumed: boolean }> {
  const fingerprint = fingerprintOf(definition);
  return withRegistryLock(context.readPostgres, definition.name, async (tx) => {
    const rows = await listGenerations(tx, definition.name);
    const building = rows.find((row) => row.state === 'building');
    if (!building) {
      const live = rows.find((row) => row.state === 'live');
      return { generation: await createBuildingGeneration(tx, definition.name, fingerprint, (live?.generation ?? 0) + 1), resumed: false };
    }
    const changes = fingerprintChanges(building.fingerprint, fingerprint);
    if (!fromScratch && changes.length === 0) {
      await markRebuildStarted(tx, definition.name, building.generation);
      return { generation: building.generation, resumed: true };
    }
    // Resuming with other code would mix two versions' output in one generation.
    if (changes.length) log.warn({ generation: building.generation, changes }, 'the building generation was started by other code; starting it over');
    await dropGenerationData(context, definition, building.generation, admin);
    await restartBuildingGeneration(tx, definition.name, building.generation, fingerprint);
    return { generation: building.generation, resumed: false };
  });
}

/** False when interrupted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

async function waitForLiveWorker(admin: Admin, groupId: string, rebuildClientId: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.members.some((member) => member.clientId !== rebuildClientId)) return true;
    if (!(await pause(500, signal))) return false;
  }
  return false;
}
