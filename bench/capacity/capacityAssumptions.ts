// What the capacity plan assumes rather than measures, each with its reason. The measured
// figures come from the bench's results (capacityInputs.ts); these are the rest, stated so a
// reader can disagree with one and change it.

export interface CapacityAssumptions {
  /** Run every unit at most at this share of its measured ceiling (0 < headroom ≤ 1). */
  headroom: number;
  /** Cores each command-API or query-API replica gets: one Node event loop uses about one. */
  coresPerApiReplica: number;
  /** Workers per projection at least, whatever its rate: one can die without the projection stopping. */
  minWorkersPerProjection: number;
  /** Partitions per topic are this multiple of the most workers any consumer needs: partitions are hard to add later (keys move between them). */
  partitionGrowth: number;
  /** Events each command writes, on average, per topic (the bench's command mix). */
  eventsPerCommand: Readonly<Record<string, number>>;
  /** Redis commands one GET /orders/:id costs: the live-read script reads the pointer, then HGETALL. */
  redisOpsPerRead: number;
  /** Redis commands one event costs a Redis projection: the version check, the write, the index or checkpoint share. */
  redisOpsPerEvent: number;
  redisReplicasPerPrimary: number;
  /** Elasticsearch replicas of each primary at least, whatever the search rate: one node can die. */
  elasticsearchMinReplicas: number;
  kafkaReplicationFactor: number;
  /** Bytes in and out one broker carries (produce, replication and fetch together); the bench does not measure a broker. */
  kafkaBrokerBytesPerSecond: number;
  /** Bytes of one event on the wire (Avro payload, key and headers). */
  eventBytes: number;
}

/**
 * The bench's command mix (bench/load/commandMix.ts), per 20 commands: 12 PlaceOrder of 1-3 lines
 * (2 on average: OrderPlaced + 2 InventoryAdjusted reserved), 3 UpdateProduct (ProductUpdated),
 * 2 AdjustInventory (InventoryAdjusted), 2 CancelOrder (OrderCancelled + 2 InventoryAdjusted
 * released), 1 UpdateShippingAddress (ShippingAddressUpdated): 15 order, 30 inventory and
 * 3 product events, 2.4 a command. Payments are a database of their own, not in this mix.
 */
export const BENCH_MIX_EVENTS_PER_COMMAND: Readonly<Record<string, number>> = Object.freeze({
  'events.order': 15 / 20,
  'events.inventory': 30 / 20,
  'events.product': 3 / 20,
  'events.payment': 0,
});

export const DEFAULT_ASSUMPTIONS: Readonly<CapacityAssumptions> = Object.freeze({
  headroom: 0.65,
  coresPerApiReplica: 1,
  minWorkersPerProjection: 2,
  partitionGrowth: 2,
  eventsPerCommand: BENCH_MIX_EVENTS_PER_COMMAND,
  redisOpsPerRead: 2,
  redisOpsPerEvent: 3,
  redisReplicasPerPrimary: 1,
  elasticsearchMinReplicas: 1,
  kafkaReplicationFactor: 3,
  kafkaBrokerBytesPerSecond: 100 * 1024 * 1024,
  eventBytes: 1024,
});

/** Why each assumption has its value, for the plan's table. */
export const ASSUMPTION_REASONS: Readonly<Record<keyof CapacityAssumptions, string>> = Object.freeze({
  headroom: 'each unit runs at most at this share of its measured ceiling, so latency stays off the knee and one unit can fail',
  coresPerApiReplica: 'a Node process runs JavaScript on one event loop: about one core',
  minWorkersPerProjection: 'for availability, not throughput: a projection keeps running when one worker dies',
  partitionGrowth: 'partitions are set for the most workers a topic\'s consumers need, times this, since adding partitions later moves keys',
  eventsPerCommand: 'the bench\'s command mix: 15 order, 30 inventory, 3 product events per 20 commands (2.4 a command)',
  redisOpsPerRead: 'GET /orders/:id runs the live-read script: the generation pointer, then HGETALL',
  redisOpsPerEvent: 'a version check, the write, and an index update or the batch checkpoint\'s share',
  redisReplicasPerPrimary: 'one replica per primary for failover; reads stay on primaries (read your own writes)',
  elasticsearchMinReplicas: 'one replica of every primary so a node can fail',
  kafkaReplicationFactor: 'every partition on three brokers (min.insync.replicas 2)',
  kafkaBrokerBytesPerSecond: 'not measured by the bench: a conservative figure for one broker\'s network and disk',
  eventBytes: 'not measured by the bench: Avro payload, key and headers of an average event',
});

/** The assumptions, or an Error naming the first that cannot be used. */
export function checkedAssumptions(assumptions: CapacityAssumptions): CapacityAssumptions {
  const { headroom, eventsPerCommand, ...counts } = assumptions;
  if (!(headroom > 0 && headroom <= 1)) throw new Error(`headroom ${headroom} must be above 0 and at most 1`);
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} ${value} must be a finite number, 0 or more`);
  }
  for (const name of ['coresPerApiReplica', 'kafkaReplicationFactor', 'kafkaBrokerBytesPerSecond', 'eventBytes', 'partitionGrowth', 'minWorkersPerProjection'] as const) {
    if (!(assumptions[name] > 0)) throw new Error(`${name} ${assumptions[name]} must be above 0`);
  }
  for (const [topic, events] of Object.entries(eventsPerCommand)) {
    if (!Number.isFinite(events) || events < 0) throw new Error(`eventsPerCommand of ${topic}: ${events} must be a finite number, 0 or more`);
  }
  return assumptions;
}
