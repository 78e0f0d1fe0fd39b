// The capacity model: from per-unit figures measured by the bench (capacityInputs.ts), a target
// (writes/s, reads/s) and stated assumptions (capacityAssumptions.ts), how many of each unit the
// target needs. Pure arithmetic: every line carries its formula in words, with the numbers it used.
import { checkedAssumptions, type CapacityAssumptions } from './capacityAssumptions.ts';
import type { CapacityInputs, MeasuredInput } from './capacityInputs.ts';

export interface CapacityTarget {
  writesPerSecond: number;
  readsPerSecond: number;
}

/** A projection as the plan sees it: its store and the topics its consumer group reads. */
export interface ProjectionShape {
  name: string;
  store: 'redis' | 'elasticsearch' | 'postgres';
  topics: readonly string[];
}

export interface PlanLine {
  component: string;
  count: number;
  unit: string;
  /** The formula in words, with the numbers it used. */
  formula: string;
  /** The measured inputs it used: scenario/measurement id, value, date. */
  inputs: string[];
  /** What the count does not cover, or what changes past it. */
  note?: string;
}

export interface TopicPlan {
  topic: string;
  eventsPerSecond: number;
  partitions: number;
  consumers: string[];
}

export interface CapacityPlan {
  target: CapacityTarget;
  assumptions: CapacityAssumptions;
  inputs: CapacityInputs;
  topics: TopicPlan[];
  workers: Record<string, number>;
  lines: PlanLine[];
  notes: string[];
}

export function planCapacity(inputs: CapacityInputs, target: CapacityTarget, projections: readonly ProjectionShape[], assumptionsGiven: CapacityAssumptions): CapacityPlan {
  const a = checkedAssumptions(assumptionsGiven);
  checkedTarget(target);
  const { writesPerSecond: writes, readsPerSecond: reads } = target;
  const h = a.headroom;
  const lines: PlanLine[] = [];

  // Events per topic, then per projection (a consumer group reads every event of its topics).
  const topicNames = [...new Set([...Object.keys(a.eventsPerCommand), ...projections.flatMap((p) => p.topics)])].sort();
  for (const topic of topicNames) if (a.eventsPerCommand[topic] === undefined) throw new Error(`eventsPerCommand has no figure for ${topic}, which ${projections.filter((p) => p.topics.includes(topic)).map((p) => p.name).join(', ')} read(s)`);
  const topicRate = (topic: string) => writes * a.eventsPerCommand[topic]!;
  const projectionRate = (p: ProjectionShape) => p.topics.reduce((sum, topic) => sum + topicRate(topic), 0);

  // Command and query API replicas, from per-core figures of the whole (shared) machine.
  const commandsPerCore = inputs.commandApi.value / inputs.commandApi.machineCores;
  // An API replica is sized from its per-core figure; the words name what flows and in what unit it was measured.
  const apiReplicas = (component: string, rate: number, measured: typeof inputs.commandApi, words: { rate: string; perCore: string; measured: string }, note: string): PlanLine => {
    const perCore = measured.value / measured.machineCores;
    return {
      component,
      count: Math.max(1, Math.ceil(rate / (h * perCore * a.coresPerApiReplica))),
      unit: 'replicas',
      formula: `ceil(${n(rate)} ${words.rate}/s ÷ (${h} headroom × ${n(perCore)} ${words.perCore}/s per core × ${a.coresPerApiReplica} core per replica)); per core = ${n(measured.value)} ${words.measured}/s ÷ ${measured.machineCores} cores`,
      inputs: [cite(measured)],
      note,
    };
  };
  lines.push(apiReplicas('command-API replicas', writes, inputs.commandApi, { rate: 'writes', perCore: 'cmd', measured: 'cmd' }, 'per core is conservative: Postgres, Debezium, Kafka and the workers shared those cores'));
  lines.push(
    apiReplicas('query-API replicas', reads, inputs.queryApi, { rate: 'reads', perCore: 'reads', measured: 'req' },
      'measured on order lookups; a search costs the API about as much (Elasticsearch does the work). Redis and the load generator shared those cores'),
  );

  // Projector workers: each projection's events/s over one worker's measured rate.
  const workers: Record<string, number> = {};
  for (const projection of projections) {
    const measured = inputs.workerEventsPerSecond[projection.name];
    if (!measured) throw new Error(`the inputs hold no worker rate for ${projection.name}`);
    const rate = projectionRate(projection);
    workers[projection.name] = Math.max(a.minWorkersPerProjection, Math.ceil(rate / (h * measured.value)));
    lines.push({
      component: `projector workers: ${projection.name} (${projection.store})`,
      count: workers[projection.name]!,
      unit: 'workers',
      formula: `max(${a.minWorkersPerProjection} for availability, ceil(${n(rate)} events/s on ${projection.topics.join(' + ')} ÷ (${h} headroom × ${n(measured.value)} events/s per worker)))`,
      inputs: [cite(measured)],
    });
  }

  // Partitions: every worker of a group needs a partition of its own, with room to grow.
  const partitionFloor = inputs.partitionsMeasured.value;
  const topics: TopicPlan[] = topicNames.map((topic) => {
    const consumers = projections.filter((p) => p.topics.includes(topic));
    const most = Math.max(0, ...consumers.map((p) => workers[p.name]!));
    const partitions = Math.max(partitionFloor, Math.ceil(most * a.partitionGrowth));
    const busiest = consumers.find((p) => workers[p.name] === most);
    lines.push({
      component: `Kafka partitions: ${topic}`,
      count: partitions,
      unit: 'partitions',
      formula: `max(${n(partitionFloor)} the bench ran with, ${a.partitionGrowth} growth × ${most} workers of its busiest consumer${busiest ? ` (${busiest.name})` : ''}); ${n(topicRate(topic))} events/s`,
      inputs: [cite(inputs.partitionsMeasured)],
    });
    return { topic, eventsPerSecond: topicRate(topic), partitions, consumers: consumers.map((p) => p.name) };
  });

  // Redis: order lookups and Redis projections' writes, over one server's measured ops/s.
  const lookups = reads * (1 - inputs.searchShare.value);
  const redisEvents = projections.filter((p) => p.store === 'redis').reduce((sum, p) => sum + projectionRate(p), 0);
  const redisOps = lookups * a.redisOpsPerRead + redisEvents * a.redisOpsPerEvent;
  const redisPrimaries = Math.max(1, Math.ceil(redisOps / (h * inputs.redisOps.value)));
  lines.push(
    {
      component: 'Redis primaries (shards)',
      count: redisPrimaries,
      unit: 'shards',
      formula: `ceil((${n(lookups)} lookups/s × ${a.redisOpsPerRead} ops + ${n(redisEvents)} events/s × ${a.redisOpsPerEvent} ops) ÷ (${h} headroom × ${n(inputs.redisOps.value)} ops/s per server)); lookups = reads × (1 − ${inputs.searchShare.value} search share)`,
      inputs: [cite(inputs.redisOps), cite(inputs.searchShare)],
      note: 'one Redis server is one core; memory (orders kept × hash size) is not sized here',
    },
    {
      component: 'Redis replicas',
      count: redisPrimaries * a.redisReplicasPerPrimary,
      unit: 'replicas',
      formula: `${redisPrimaries} primaries × ${a.redisReplicasPerPrimary} replica per primary`,
      inputs: [],
    },
  );

  // Elasticsearch: primaries for indexing, replicas for searches.
  const searchProjections = projections.filter((p) => p.store === 'elasticsearch');
  const indexing = searchProjections.reduce((sum, p) => sum + projectionRate(p), 0);
  const primaries = Math.max(1, Math.ceil(indexing / (h * inputs.elasticsearchIndexing.value)));
  const searches = reads * inputs.searchShare.value;
  const copies = Math.ceil(searches / (h * inputs.elasticsearchSearches.value));
  const replicas = Math.max(a.elasticsearchMinReplicas, copies - 1);
  lines.push(
    {
      component: 'Elasticsearch primary shards',
      count: primaries,
      unit: 'shards',
      formula: `ceil(${n(indexing)} index requests/s (${searchProjections.map((p) => p.name).join(', ')}: one per event) ÷ (${h} headroom × ${n(inputs.elasticsearchIndexing.value)} per node))`,
      inputs: [cite(inputs.elasticsearchIndexing)],
    },
    {
      component: 'Elasticsearch replicas per primary',
      count: replicas,
      unit: 'replicas',
      formula: `max(${a.elasticsearchMinReplicas}, ceil(${n(searches)} searches/s ÷ (${h} headroom × ${n(inputs.elasticsearchSearches.value)} searches/s per copy)) − 1); searches = reads × ${inputs.searchShare.value}; ${primaries * (1 + replicas)} shard copies in all`,
      inputs: [cite(inputs.elasticsearchSearches), cite(inputs.searchShare)],
      note: inputs.elasticsearchSearches.kind === 'floor'
        ? 'an upper bound: the search rate used is one Elasticsearch carried without being pushed further, not its ceiling; every replica also indexes every write'
        : 'every replica also indexes every write',
    },
  );

  // Kafka brokers: bytes produced (replicated) and fetched, over one broker's assumed bytes/s.
  const produced = topics.reduce((sum, t) => sum + t.eventsPerSecond, 0) * a.eventBytes;
  const fetched = projections.reduce((sum, p) => sum + projectionRate(p), 0) * a.eventBytes;
  const brokerLoad = produced * a.kafkaReplicationFactor + fetched;
  lines.push({
    component: 'Kafka brokers',
    count: Math.max(a.kafkaReplicationFactor, Math.ceil(brokerLoad / (h * a.kafkaBrokerBytesPerSecond))),
    unit: 'brokers',
    formula: `max(${a.kafkaReplicationFactor} replication factor, ceil((${mib(produced)} produced × ${a.kafkaReplicationFactor} + ${mib(fetched)} fetched by the projections) ÷ (${h} headroom × ${mib(a.kafkaBrokerBytesPerSecond)} per broker, assumed)))`,
    inputs: [],
    note: 'no input is measured: the bench runs one broker with replication factor 1',
  });

  // The Postgres databases: one primary each, sized in cores.
  const sales = projections.filter((p) => p.store === 'postgres');
  for (const projection of sales) {
    const measured = inputs.workerEventsPerSecond[projection.name]!;
    const perCore = measured.value / measured.machineCores;
    lines.push({
      component: `read Postgres (${projection.name})`,
      count: Math.max(1, Math.ceil(projectionRate(projection) / (h * perCore))),
      unit: 'cores',
      formula: `ceil(${n(projectionRate(projection))} events/s ÷ (${h} headroom × ${n(perCore)} events/s per core)); per core = ${n(measured.value)} events/s of one worker ÷ ${measured.machineCores} cores it shared with this Postgres`,
      inputs: [cite(measured)],
      note: 'covers applying the events (an upper bound: the worker shared those cores); report reads are not in the bench\'s read mix and are not sized',
    });
  }
  const rawPerCore = inputs.rawPgWrites.value / inputs.rawPgWrites.machineCores;
  const writeCores = Math.max(1, Math.ceil(writes / (h * rawPerCore)));
  const eventsPerSecond = topics.reduce((sum, t) => sum + t.eventsPerSecond, 0);
  lines.push({
    component: 'write Postgres primary',
    count: writeCores,
    unit: 'cores',
    formula: `ceil(${n(writes)} writes/s ÷ (${h} headroom × ${n(rawPerCore)} cmd/s per core)); per core = ${n(inputs.rawPgWrites.value)} cmd/s of the command mix written with raw pg ÷ ${inputs.rawPgWrites.machineCores} cores (the whole stack through the API: ${n(commandsPerCore)} cmd/s per core)`,
    inputs: [cite(inputs.rawPgWrites), cite(inputs.commandApi)],
    note: `one primary carries every write, and one logical slot and one Debezium task (not measured by the bench) carry its ${n(eventsPerSecond)} events/s${inputs.rawPgWrites.kind === 'floor' ? '; an upper bound, since raw pg carried every rate it was asked for' : ''}. When one primary cannot carry it: split the write side by aggregate id into several databases, each with its own outbox, slot and connector (as the payments database already is), or lower the cost per command (fewer round trips, group commit)`,
  });

  return { target, assumptions: a, inputs, topics, workers, lines, notes: planNotes(inputs) };
}

function planNotes(inputs: CapacityInputs): string[] {
  const notes = [
    'Per core: every figure measured on one machine is divided by its cores, with the whole stack (Postgres, Kafka, Debezium, Redis, Elasticsearch, the services and the load generators) sharing them, so each unit on cores of its own should do better: the counts are conservative.',
    'One machine cannot tell: the network between machines (each hop adds latency and bandwidth the bench never crosses), Kafka replication (the bench runs one broker, replication factor 1), Redis Cluster (slots, resharding; the live-read script reads the pointer and the hash together, so on a cluster both keys need one slot, a hash tag) and Elasticsearch across nodes (a search fans out to every primary).',
    'Workers scale by partitions: the plan assumes each worker on a core of its own adds its measured rate.',
  ];
  if (inputs.scaleOut) {
    const { before, after } = inputs.scaleOut;
    notes.push(`On the bench machine a second worker took ${n(before.value)} to ${n(after.value)} events/s (×${(after.value / before.value).toFixed(2)}) with both sharing ${after.machineCores} cores with the stack (${cite(after)}): the linear scaling is an assumption one machine cannot confirm.`);
  }
  const floors = [inputs.commandApi, inputs.rawPgWrites, inputs.queryApi, inputs.elasticsearchSearches].filter((i) => i.kind === 'floor');
  if (floors.length) notes.push(`Floors, not ceilings: ${floors.map(cite).join('; ')}. The units sized from them are over-counted until the bench measures their saturation.`);
  return notes;
}

function checkedTarget(target: CapacityTarget): void {
  for (const [name, value] of Object.entries(target)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`target ${name} ${value} must be a finite number, 0 or more`);
  }
}

/** `scenario/measurement id (value unit, date, kind)`. */
export function cite(input: MeasuredInput): string {
  return `${input.scenario}/${input.measurementId} (${n(input.value)} ${input.unit}, ${input.startedAt.slice(0, 10)}${input.kind === 'saturation' ? '' : `, ${input.kind}`})`;
}

function n(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en');
  return value.toLocaleString('en', { maximumFractionDigits: value < 10 ? 2 : 1 });
}

function mib(bytesPerSecond: number): string {
  return `${n(Math.round((bytesPerSecond / 1024 / 1024) * 10) / 10)} MiB/s`;
}
