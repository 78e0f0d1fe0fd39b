// A small real projection for the runtime's tests: a Postgres (read-model server) table of
// (generation, key) → last aggregateVersion, how many times an event was applied and at which
// offsets, with the checkpoint in projector_checkpoints in the same transaction. It reads a
// private topic per test (the harness creates it), so nothing a test produces reaches the real
// projections; only keys with the test's prefix are recorded all the same.
//
// Faults are injected the way real ones happen: a transient failure is a real refused
// connection (ECONNREFUSED), a poison event makes the handler throw ProjectionHandlerFailed.
import pg from 'pg';
import { inTransaction } from '../../lib/postgresTransaction.ts';
import { runSerialisedDdl } from '../../lib/serialisedDdl.ts';
import { ProjectionHandlerFailed } from '../../lib/errors.ts';
import type { PartitionBatch, ProjectionDefinition, ProjectionEvent, ProjectionStore, StoreConnections, PartitionFreshness } from '../../projectors/projection.ts';

export const RUNTIME_TEST_PROJECTION = 'runtime-test';

export interface RuntimeTestFaults {
  /** Batches carrying a test key that fail with a refused connection before one succeeds. */
  transientFailuresLeft: number;
  transientFailuresRaised: number;
  /** Events (by eventId) whose handler throws, until removed from the set ("fixed"). */
  poisonEventIds: Set<string>;
}

export interface AggregateRow {
  key: string;
  version: number;
  applied: number;
  offsets: string[];
}

const ensureTables = `
CREATE TABLE IF NOT EXISTS runtime_test_aggregates (
  generation int NOT NULL, key text NOT NULL, version int NOT NULL, applied int NOT NULL, offsets text[] NOT NULL,
  PRIMARY KEY (generation, key));
CREATE TABLE IF NOT EXISTS projector_checkpoints (
  projection text NOT NULL, generation int NOT NULL, topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL,
  PRIMARY KEY (projection, generation, topic, partition));`;

/** Creates the test table and projector_checkpoints if missing (serialised: tests start workers concurrently). */
export function ensureRuntimeTestTables(pool: pg.Pool): Promise<void> {
  return runSerialisedDdl(pool, 'runtime_test_aggregates', ensureTables);
}

async function refusedConnection(): Promise<never> {
  // Port 1 on loopback has no listener: a genuine ECONNREFUSED from the pg driver.
  const client = new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 1000 });
  await client.connect();
  await client.end();
  throw new Error('port 1 accepted a connection; cannot simulate a refused one');
}

class RuntimeTestStore implements ProjectionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly generation: number,
    private readonly keyPrefix: string,
    private readonly faults: RuntimeTestFaults,
  ) {}

  init(): Promise<void> {
    return ensureRuntimeTestTables(this.pool);
  }

  /** This double records no source times. */
  async readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    return new Map([...(await this.readCheckpoints(topic))].map(([partition, offset]) => [partition, { offset }]));
  }

  async readCheckpoints(topic: string): Promise<Map<number, string>> {
    const { rows } = await this.pool.query<{ partition: number; offset: string }>(
      `SELECT partition, "offset"::text AS offset FROM projector_checkpoints WHERE projection = $1 AND generation = $2 AND topic = $3`,
      [RUNTIME_TEST_PROJECTION, this.generation, topic],
    );
    return new Map(rows.map((row) => [row.partition, row.offset]));
  }

  async applyBatch(batch: PartitionBatch): Promise<void> {
    const ours = batch.events.filter((event) => event.key.startsWith(this.keyPrefix));
    if (ours.length && this.faults.transientFailuresLeft > 0) {
      this.faults.transientFailuresLeft -= 1;
      this.faults.transientFailuresRaised += 1;
      await refusedConnection();
    }
    for (const event of ours) this.handle(event);
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ offset: string }>(
        `SELECT "offset"::text AS offset FROM projector_checkpoints WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4 FOR UPDATE`,
        [RUNTIME_TEST_PROJECTION, this.generation, batch.topic, batch.partition],
      );
      const checkpoint = rows[0] ? BigInt(rows[0].offset) : -1n;
      for (const event of ours) {
        if (BigInt(event.offset) <= checkpoint) continue;
        await client.query(
          `INSERT INTO runtime_test_aggregates (generation, key, version, applied, offsets) VALUES ($1, $2, $3, 1, ARRAY[$4])
           ON CONFLICT (generation, key) DO UPDATE SET version = GREATEST(runtime_test_aggregates.version, EXCLUDED.version),
             applied = runtime_test_aggregates.applied + 1, offsets = runtime_test_aggregates.offsets || EXCLUDED.offsets`,
          [this.generation, event.key, event.event.aggregateVersion, `${event.topic}:${event.partition}:${event.offset}`],
        );
      }
      await client.query(
        `INSERT INTO projector_checkpoints (projection, generation, topic, partition, "offset") VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (projection, generation, topic, partition) DO UPDATE SET "offset" = GREATEST(projector_checkpoints."offset", EXCLUDED."offset")`,
        [RUNTIME_TEST_PROJECTION, this.generation, batch.topic, batch.partition, batch.lastOffset],
      );
    });
  }

  async truncate(): Promise<void> {
    await this.pool.query('DELETE FROM runtime_test_aggregates WHERE generation = $1', [this.generation]);
    await this.pool.query('DELETE FROM projector_checkpoints WHERE projection = $1 AND generation = $2', [RUNTIME_TEST_PROJECTION, this.generation]);
  }

  /** The test projection has no readers, hence no pointer. */
  async activate(): Promise<void> {}

  async close(): Promise<void> {}

  private handle(event: ProjectionEvent): void {
    if (!this.faults.poisonEventIds.has(event.event.eventId)) return;
    const { topic, partition, offset, key, type } = event;
    throw new ProjectionHandlerFailed(RUNTIME_TEST_PROJECTION, { topic, partition, offset, key, eventType: type }, new Error('the test marked this event as poison'));
  }
}

export function newFaults(): RuntimeTestFaults {
  return { transientFailuresLeft: 0, transientFailuresRaised: 0, poisonEventIds: new Set() };
}

/** The projection on `topic`, recording only keys starting with `keyPrefix`. */
export function runtimeTestProjection(topic: string, keyPrefix: string, faults: RuntimeTestFaults = newFaults()): ProjectionDefinition {
  return {
    name: RUNTIME_TEST_PROJECTION,
    version: 1,
    eventTypes: ['OrderPlaced', 'OrderShipped'],
    topics: [topic],
    createStore: (connections: StoreConnections, generation: number) => new RuntimeTestStore(connections.readPostgres, generation, keyPrefix, faults),
    liveGeneration: async () => undefined,
  };
}

export async function aggregateRows(pool: pg.Pool, generation: number): Promise<Map<string, AggregateRow>> {
  const { rows } = await pool.query<AggregateRow>('SELECT key, version, applied, offsets FROM runtime_test_aggregates WHERE generation = $1', [generation]);
  return new Map(rows.map((row) => [row.key, row]));
}
