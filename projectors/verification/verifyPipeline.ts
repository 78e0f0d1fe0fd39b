// `outflow verify`: wait for the pipeline to catch up, then compare every read model with the
// write model entity by entity.
//
// Under live traffic the write-model snapshot and the read models are taken moments apart,
// so an entity changed in between shows up as a difference that is not one. Each round takes
// a fresh snapshot; only differences found in every round are reported (a real one stays put,
// a moving entity does not), and the first round without differences ends the run.
import type { Kafka } from 'kafkajs';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { waitForAllSources } from '../../connectors/cdcCatchUp.ts';
import { withServiceDatabase, withWriteDatabase } from '../../lib/writeDatabase.ts';
import type { Config } from '../../lib/config.ts';
import { UnknownProjection } from '../../lib/errors.ts';
import { topicsOf } from '../projection.ts';
import { ensureParkedKeysTable, listParkedKeys } from '../runtime/parkedKeysTable.ts';
import { openStoreConnections } from '../runtime/storeConnections.ts';
import type { StoreConnections } from '../projection.ts';
import { waitForProjections, type CatchUpTarget } from './catchUp.ts';
import type { Difference } from './difference.ts';
import type { ReadModelCheck } from './readModelCheck.ts';
import { readModelChecks } from '../../read-models/registry.ts';
import { readPayments, readWriteModel, withPayments, type WriteModelSnapshot } from './writeModelSnapshot.ts';

export interface VerifyOptions {
  /** Projection names (default: all). */
  projections?: readonly string[];
  /** Compare these generations instead of the live ones. */
  generations?: Readonly<Record<string, number>>;
  /** How long to wait for the connector and the projections to catch up, per round. */
  timeoutMs?: number;
  /** Most rounds before differences are reported (default 3; 1 = report the first round's). */
  rounds?: number;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

export interface ProjectionVerdict {
  projection: string;
  /** The generation compared; null when the projection has no live generation at all. */
  generation: number | null;
  /** Aggregate keys parked behind a poison message in this generation. */
  parkedKeys: string[];
  differences: number;
}

export interface VerifyReport {
  /** What the write models held: the command API's, and the payments service's (orders with a payment). */
  writeModel: { orders: number; paidOrders: number; customers: number; products: number; salesRows: number };
  projections: ProjectionVerdict[];
  differences: Difference[];
  rounds: number;
  durationMs: number;
}

const differenceKey = (d: Difference) => `${d.projection}\u0000${d.entity}\u0000${d.id}\u0000${d.kind}\u0000${d.field ?? ''}`;

function selectChecks(names: readonly string[] | undefined): readonly ReadModelCheck[] {
  if (!names?.length) return readModelChecks;
  const known = readModelChecks.map((c) => c.projection.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new UnknownProjection(unknown, known);
  return readModelChecks.filter((c) => names.includes(c.projection.name));
}

interface Round {
  expected: WriteModelSnapshot;
  verdicts: ProjectionVerdict[];
  differences: Difference[];
}

export async function verifyPipeline(config: Config, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const checks = selectChecks(options.projections);
  const rounds = Math.max(1, options.rounds ?? 3);
  const log = options.log ?? (() => {});
  const stores = openStoreConnections(config);
  const kafka = kafkaClient(config, 'verify');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureParkedKeysTable(stores.connections.readPostgres);
    let persistent: Map<string, Difference> | undefined;
    let last: Round | undefined;
    let round = 0;
    while (round < rounds) {
      round++;
      last = await verifyRound(config, checks, stores.connections, admin, options, log);
      const found = new Map(last.differences.map((d) => [differenceKey(d), d]));
      persistent = persistent ? new Map([...found].filter(([key]) => persistent!.has(key))) : found;
      log(`round ${round}: ${last.differences.length} difference(s)${round > 1 ? `, ${persistent.size} seen in every round` : ''}`);
      if (persistent.size === 0) break;
    }
    const differences = [...persistent!.values()];
    const { expected, verdicts } = last!;
    return {
      writeModel: {
        orders: expected.orders.size,
        paidOrders: [...expected.orders.values()].filter((o) => o.payment !== null).length,
        customers: expected.customerOrders.size,
        products: expected.products.size,
        salesRows: expected.sales.length,
      },
      projections: verdicts.map((v) => ({ ...v, differences: differences.filter((d) => d.projection === v.projection).length })),
      differences,
      rounds: round,
      durationMs: Date.now() - started,
    };
  } finally {
    await admin.disconnect();
    await stores.close();
  }
}

async function verifyRound(
  config: Config,
  checks: readonly ReadModelCheck[],
  context: StoreConnections,
  admin: ReturnType<Kafka['admin']>,
  options: VerifyOptions,
  log: (line: string) => void,
): Promise<Round> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  // The snapshot comes first: whatever it shows was committed before the marker, so catching
  // up with the marker means the read models have seen all of it.
  // Each source's database is its own snapshot; both are taken before either marker.
  const expected = withPayments(await withWriteDatabase(config, readWriteModel), await withServiceDatabase(config, config.postgres.paymentsDatabase, readPayments));
  const targets: (CatchUpTarget & { check: ReadModelCheck })[] = [];
  const verdicts: ProjectionVerdict[] = [];
  const differences: Difference[] = [];
  for (const check of checks) {
    const name = check.projection.name;
    const generation = options.generations?.[name] ?? (await check.liveGeneration(context));
    verdicts.push({ projection: name, generation: generation ?? null, parkedKeys: [], differences: 0 });
    if (generation === undefined) {
      differences.push({ projection: name, entity: 'projection', id: name, kind: 'missing', expected: 'a live generation' });
      continue;
    }
    const store = check.projection.createStore(context, generation);
    targets.push({ projection: name, generation, store, topics: topicsOf(check.projection), check });
  }
  log(`waiting for every source's connector to pass a marker committed after the snapshot`);
  await waitForAllSources(config, deadline);
  log(`waiting for ${targets.map((t) => t.projection).join(', ') || 'no projection'} to reach the topics' end offsets`);
  await waitForProjections(admin, targets, deadline);
  for (const target of targets) {
    const parked = (await listParkedKeys(context.readPostgres, target.projection, target.generation)).map((p) => p.key);
    verdicts.find((v) => v.projection === target.projection)!.parkedKeys = parked;
    const parkedSet = new Set(parked);
    for (const difference of await target.check.differences(expected, context, target.generation)) {
      const key = difference.entity === 'customer-order' ? difference.id.slice(difference.id.lastIndexOf('/') + 1) : difference.id;
      differences.push(difference.entity !== 'sales-day' && parkedSet.has(key) ? { ...difference, parked: true } : difference);
    }
  }
  return { expected, verdicts, differences };
}
