// The projector's Prometheus metrics, registered on the worker's registry (lib/metrics.ts).
import client from 'prom-client';

export function createProjectorMetrics(registry: client.Registry) {
  const registers = [registry];
  return {
    eventsApplied: new client.Counter({
      name: 'outflow_projector_events_applied_total',
      help: 'Events handed to the store and committed with their checkpoint',
      labelNames: ['projection'] as const,
      registers,
    }),
    batchSize: new client.Histogram({
      name: 'outflow_projector_batch_size',
      help: 'Messages per chunk written to the store (applied, skipped and parked)',
      labelNames: ['projection'] as const,
      buckets: [1, 10, 50, 100, 250, 500, 1000],
      registers,
    }),
    batchDuration: new client.Histogram({
      name: 'outflow_projector_batch_duration_seconds',
      help: 'Time from decoding a chunk to its checkpoint being written, retries included',
      labelNames: ['projection'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    consumerLag: new client.Gauge({
      name: 'outflow_projector_consumer_lag',
      help: 'Messages after the last applied offset: high watermark - 1 - last applied',
      labelNames: ['projection', 'topic', 'partition'] as const,
      registers,
    }),
    dlqMessages: new client.Counter({
      name: 'outflow_projector_dlq_messages_total',
      help: 'Messages parked in the dead-letter topic, by reason (poison, or parked behind one)',
      labelNames: ['projection', 'reason'] as const,
      registers,
    }),
    freshness: new client.Histogram({
      name: 'outflow_projector_freshness_seconds',
      help: 'Age of an event (now - occurredAt) when its chunk was applied',
      labelNames: ['projection'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    freshnessStage: new client.Histogram({
      name: 'outflow_projector_freshness_stage_seconds',
      help: 'Where an event\'s freshness went, by stage: capture (occurredAt in the command\'s transaction -> the connector read the change: the record timestamp), delivery (record timestamp -> the worker took the batch from Kafka: Connect\'s producer, the broker, the fetch, waiting behind earlier chunks), apply (taken -> its chunk committed with the checkpoint)',
      labelNames: ['projection', 'stage'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    retries: new client.Counter({
      name: 'outflow_projector_retries_total',
      help: 'Retries of a chunk or message after a transient failure',
      labelNames: ['projection'] as const,
      registers,
    }),
    checkpointRewinds: new client.Counter({
      name: 'outflow_projector_checkpoint_rewinds_total',
      help: 'Times a store held a checkpoint behind what the worker had applied (it lost its last writes) and the worker went back to it',
      labelNames: ['projection'] as const,
      registers,
    }),
  };
}

export type ProjectorMetrics = ReturnType<typeof createProjectorMetrics>;

export const FRESHNESS_STAGES = ['capture', 'delivery', 'apply'] as const;

/** The stage histograms of one projection, labels bound. */
export function freshnessStagesOf(metrics: ProjectorMetrics, projection: string) {
  const { freshnessStage } = metrics;
  return {
    capture: freshnessStage.labels({ projection, stage: 'capture' }),
    delivery: freshnessStage.labels({ projection, stage: 'delivery' }),
    apply: freshnessStage.labels({ projection, stage: 'apply' }),
  };
}

/** The reason label of a DLQ message: the error code, not the full message, to bound cardinality. */
export function dlqReasonLabel(reason: string): string {
  if (reason.startsWith('parked behind')) return 'parked_behind';
  return /^(OUTFLOW_ERR_[A-Z_]+|\w+Error)/.exec(reason)?.[1] ?? 'other';
}
