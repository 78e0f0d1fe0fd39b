// The pipeline's state as Prometheus metrics, for the alert rules and the dashboard in
// infra/observability/: what no single service can export on its own (the connector's and its
// tasks' states, the replication slot, each projection's lag per partition as the stores'
// checkpoints say, workers and partitions per consumer group, parked keys, rebuild progress).
// `outflow status --serve <port>` gathers the status on each scrape and answers with these; the
// services export their own (request latency, events applied, freshness) on their /metrics.
import client from 'prom-client';
import type { PipelineStatus } from './pipelineStatus.ts';

const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'] as const;
/** The parts every pipeline has; each source's database is a part too (`<source> postgres`). */
export const STATUS_PARTS = ['kafka-connect', 'kafka', 'read postgres'] as const;

export function statusMetricsRegistry(): { registry: client.Registry; record(status: PipelineStatus): void } {
  const registry = new client.Registry();
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new client.Gauge<L>({ name, help, labelNames, registers });

  const partUp = gauge('outflow_status_part_up', '1 when the part answered the status gatherer within its deadline, 0 when it did not', ['part']);
  const connectorRunning = gauge('outflow_connector_running', '1 when the connector is RUNNING, 0 otherwise (also when it does not exist)', ['connector']);
  const taskRunning = gauge('outflow_connector_task_running', '1 per task that is RUNNING, 0 per task that is not', ['connector', 'task']);
  const slotExists = gauge('outflow_replication_slot_exists', '1 when the connector\'s replication slot exists', ['slot']);
  const slotLag = gauge('outflow_replication_slot_lag_bytes', 'WAL written since the slot\'s confirmed flush position', ['slot']);
  const slotRetained = gauge('outflow_replication_slot_retained_bytes', 'WAL the slot keeps on disk (from its restart position)', ['slot']);
  const slotSafe = gauge('outflow_replication_slot_safe_wal_bytes', 'WAL that can still be written before the slot is at risk (absent without a bound)', ['slot']);
  const slotStatus = gauge('outflow_replication_slot_wal_status', '1 for the slot\'s current wal_status, 0 for the others', ['slot', 'wal_status']);
  const heartbeatAge = gauge('outflow_replication_slot_heartbeat_age_seconds', 'Seconds since the connector\'s last heartbeat reached the write database', ['slot']);
  const topicEnd = gauge('outflow_topic_end_offset', 'The next offset to be written, per partition of each event topic', ['topic', 'partition']);
  const lag = gauge('outflow_projection_lag_messages', 'Messages of a partition the live generation has not applied yet (its store\'s checkpoint to the end)', ['projection', 'topic', 'partition']);
  const workers = gauge('outflow_projection_workers', 'Members of the live generation\'s consumer group: the workers consuming it', ['projection']);
  const unassigned = gauge('outflow_projection_unassigned_partitions', 'Partitions of the projection\'s topics no worker holds (while workers are present)', ['projection']);
  const parked = gauge('outflow_projection_parked_keys', 'Keys of the live generation parked behind a poison message', ['projection']);
  const hasLive = gauge('outflow_projection_live_generation', 'The live generation\'s number (0: none yet)', ['projection']);
  const rebuildDone = gauge('outflow_rebuild_progress_ratio', 'Share of the topics\' messages a building generation has applied (0..1)', ['projection', 'generation']);

  return {
    registry,
    record(status) {
      registry.resetMetrics();
      for (const part of STATUS_PARTS) partUp.set({ part }, status.unreachable.some((u) => u.part === part) ? 0 : 1);
      for (const source of status.sources) {
        partUp.set({ part: source.databasePart }, status.unreachable.some((u) => u.part === source.databasePart) ? 0 : 1);
        const c = source.connector;
        if (c) {
          connectorRunning.set({ connector: c.name }, c.state === 'RUNNING' ? 1 : 0);
          for (const task of c.tasks) taskRunning.set({ connector: c.name, task: String(task.id) }, task.state === 'RUNNING' ? 1 : 0);
        }
        if (status.unreachable.some((u) => u.part === source.databasePart)) continue;
        const slot = source.slot;
        slotExists.set({ slot: source.slotName }, slot ? 1 : 0);
        if (slot) {
          if (slot.lagBytes !== null) slotLag.set({ slot: slot.slotName }, slot.lagBytes);
          if (slot.retainedBytes !== null) slotRetained.set({ slot: slot.slotName }, slot.retainedBytes);
          if (slot.safeWalBytes !== null) slotSafe.set({ slot: slot.slotName }, slot.safeWalBytes);
          for (const walStatus of WAL_STATUSES) slotStatus.set({ slot: slot.slotName, wal_status: walStatus }, slot.walStatus === walStatus ? 1 : 0);
          if (slot.heartbeatAgeSeconds !== null) heartbeatAge.set({ slot: slot.slotName }, slot.heartbeatAgeSeconds);
        }
      }
      for (const topic of status.topics) for (const p of topic.partitions) topicEnd.set({ topic: topic.topic, partition: String(p.partition) }, p.high);
      for (const p of status.projections) {
        hasLive.set({ projection: p.projection }, p.live ?? 0);
        for (const l of p.partitions) lag.set({ projection: p.projection, topic: l.topic, partition: String(l.partition) }, l.lag);
        if (p.groupState !== null) {
          workers.set({ projection: p.projection }, p.workers.length);
          unassigned.set({ projection: p.projection }, p.unassigned.length);
        }
        if (p.parkedKeys !== null) parked.set({ projection: p.projection }, p.parkedKeys);
      }
      for (const r of status.rebuilds) {
        if (r.done !== null && r.total !== null) rebuildDone.set({ projection: r.projection, generation: String(r.generation) }, r.total ? r.done / r.total : 1);
      }
    },
  };
}
