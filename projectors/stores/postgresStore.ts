// The Postgres store adapter (the read-model server, as the projector role). A Postgres
// projection is a name, a version, its tables' column definitions and handlers that write
// through the batch's transaction; this adapter owns the rest: the generation's tables, the
// views that point at the live generation, and the checkpoint, which is locked, checked and
// advanced in the same transaction as the handlers' writes, so a batch applies exactly once.
//
//   <projection_snake>_g<n>_<thing>     the generation's tables
//   <projection_snake>_<thing>          views: the pointer, SELECT * FROM the live generation's table
//   projector_checkpoints               (projection, generation, topic, partition) → "offset", source_time_ms
import pg from 'pg';
import type pino from 'pino';
import { connectionFailureOf } from '../../lib/dependencyFailure.ts';
import { CheckpointMismatch } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { isTransientPostgresFailure } from '../../lib/postgresFailure.ts';
import { inTransaction } from '../../lib/postgresTransaction.ts';
import type { EventType } from '../../schemas/eventCatalog.ts';
import type { PartitionBatch, PartitionFreshness, ProjectionDefinition, ProjectionEvent, ProjectionStore, StoreConnections } from '../projection.ts';
import { handlerFailed } from './eventHandlers.ts';

export const CHECKPOINT_TABLE = 'projector_checkpoints';

// Serialises init() of every Postgres projection: CREATE ... IF NOT EXISTS races between
// workers starting together, and the pointer views must be checked and created atomically.
const INIT_LOCK = 7_342_001;

function snake(projection: string): string {
  return projection.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}

/** A generation's table, unquoted: `sales_report_g3_daily`. */
export function postgresTableName(projection: string, generation: number, thing: string): string {
  return `${snake(projection)}_g${generation}_${thing}`;
}

/** The pointer view of a thing, unquoted: `sales_report_daily`. */
export function postgresViewName(projection: string, thing: string): string {
  return `${snake(projection)}_${thing}`;
}

/** Where readers read a thing: the generation's table when one is given, else the view. Quoted. */
export function postgresReadTarget(projection: string, thing: string, generation?: number): string {
  return pg.escapeIdentifier(generation === undefined ? postgresViewName(projection, thing) : postgresTableName(projection, generation, thing));
}

/** The generation a thing's pointer view reads, or undefined when the view does not exist yet. */
export async function livePostgresGeneration(pool: pg.Pool, projection: string, thing: string): Promise<number | undefined> {
  // The view's rewrite rule depends on the table it selects from (visible to any role, unlike information_schema's view usage).
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT DISTINCT t.relname AS table_name
       FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid JOIN pg_class t ON t.oid = d.refobjid
      WHERE r.ev_class = to_regclass($1) AND t.oid <> r.ev_class AND t.relkind = 'r'`,
    [pg.escapeIdentifier(postgresViewName(projection, thing))],
  );
  const prefix = `${snake(projection)}_g`;
  for (const { table_name: table } of rows) {
    const generation = Number(table.startsWith(prefix) && table.endsWith(`_${thing}`) ? table.slice(prefix.length, -(thing.length + 1)) : NaN);
    if (Number.isSafeInteger(generation) && generation > 0) return generation;
  }
  return undefined;
}

/** The generation a projection's pointer views read: its first table's view names it (activate() moves them all at once). */
export function livePostgresGenerationOf(pool: pg.Pool, projection: string, tables: Readonly<Record<string, string>>): Promise<number | undefined> {
  const [first] = Object.keys(tables);
  return first === undefined ? Promise.resolve(undefined) : livePostgresGeneration(pool, projection, first);
}

/** What a projection's apply gets: the batch's transaction and the generation's tables (quoted identifiers). */
export interface PostgresHandlerContext<Thing extends string> {
  tx: pg.PoolClient;
  tables: Readonly<Record<Thing, string>>;
}

/**
 * A Postgres projection's one definition: applies events of one partition, in log order, through
 * the transaction. The store hands it a whole chunk (a few set-based statements for many events)
 * and, when the chunk is refused, each event of it alone, so a poison event is named.
 */
export type PostgresApply<Thing extends string> = (events: readonly ProjectionEvent[], context: PostgresHandlerContext<Thing>) => Promise<void>;

export interface PostgresProjectionSpec<Thing extends string> {
  name: string;
  version: number;
  /** Per table: its column definitions and constraints, the part between CREATE TABLE's parentheses. */
  tables: Readonly<Record<Thing, string>>;
  /** The event types it applies; the store hands `apply` no other. */
  eventTypes: readonly EventType[];
  apply: PostgresApply<Thing>;
}

export interface PostgresProjectionDefinition<Thing extends string = string> extends ProjectionDefinition {
  tables: Readonly<Record<Thing, string>>;
  apply: PostgresApply<Thing>;
}

export function definePostgresProjection<Thing extends string>(spec: PostgresProjectionSpec<Thing>): PostgresProjectionDefinition<Thing> {
  const { name, version, tables, eventTypes, apply } = spec;
  return postgresDefinition({ name, version, eventTypes: Object.freeze([...eventTypes]), tables, apply });
}

/** The same projection under another name, reading `topics` when given (a benchmark's copy, a test's own). */
export function renamedPostgresProjection<Thing extends string>(definition: PostgresProjectionDefinition<Thing>, name: string, topics?: readonly string[]): PostgresProjectionDefinition<Thing> {
  return postgresDefinition({ ...definition, name, ...(topics ? { topics } : {}) });
}

// Its stores, tables and views are named by `name`: a copy under another name is built here
// again, never spread from the original, whose functions would still write under the original's name.
function postgresDefinition<Thing extends string>(base: Omit<PostgresProjectionDefinition<Thing>, 'createStore' | 'liveGeneration'>): PostgresProjectionDefinition<Thing> {
  const definition: PostgresProjectionDefinition<Thing> = {
    ...base,
    createStore: (connections: StoreConnections, generation: number) => new PostgresProjectionStore(connections, generation, definition),
    liveGeneration: (connections: StoreConnections) => livePostgresGenerationOf(connections.readPostgres, base.name, base.tables),
  };
  return Object.freeze(definition);
}

/** What one applyBatch did (tests and benchmarks read it). */
export interface AppliedPgBatch {
  applied: number;
  alreadyApplied: number;
}

// A failure that is the connection's or the server's, not the handler's: it goes to the runtime
// as it is, which waits it out; anything else a handler causes names the event as poison.
export function isTransientStoreFailure(error: unknown): boolean {
  return (error instanceof Error && connectionFailureOf(error) !== undefined) || isTransientPostgresFailure(error);
}

/** An integer as SQL text; anything else (an offset is a decimal string from Kafka) is refused rather than spliced. */
function integerLiteral(value: string | number, what: string): string {
  const text = String(value);
  if (!/^-?\d{1,19}$/.test(text)) throw new Error(`${what} ${JSON.stringify(text).slice(0, 40)} is not an integer`);
  return text;
}

/** A checkpoint row's key as SQL literals. */
function checkpointKeyLiterals(projection: string, generation: number, topic: string, partition: number) {
  return {
    projection: pg.escapeLiteral(projection),
    generation: integerLiteral(generation, 'generation'),
    topic: pg.escapeLiteral(topic),
    partition: integerLiteral(partition, 'partition'),
  };
}

/** The batch handler failed for a reason a retry would not fix; the chunk goes event by event. */
class BatchHandlerRefused extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export class PostgresProjectionStore<Thing extends string = string> implements ProjectionStore {
  private readonly pool: pg.Pool;
  private readonly generation: number;
  private readonly tables: Readonly<Record<Thing, string>>;
  private readonly log: pino.Logger;
  private readonly eventTypes: ReadonlySet<EventType>;

  constructor(connections: StoreConnections, generation: number, private readonly definition: PostgresProjectionDefinition<Thing>) {
    this.pool = connections.readPostgres;
    this.generation = generation;
    this.tables = Object.freeze(
      Object.fromEntries(this.things().map((thing) => [thing, pg.escapeIdentifier(postgresTableName(definition.name, generation, thing))])) as Record<Thing, string>,
    );
    this.log = createLogger(`postgres-store:${definition.name}`, connections.config.logLevel);
    this.eventTypes = new Set(definition.eventTypes);
  }

  /** Creates the checkpoint table and the generation's tables if missing; creates each pointer view only if it does not exist. */
  async init(): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (
        projection text NOT NULL, generation int NOT NULL, topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL,
        source_time_ms bigint,
        PRIMARY KEY (projection, generation, topic, partition))`);
      // A table from before source times were recorded gains the column; checked first because
      // ALTER TABLE takes its exclusive lock even when the column exists, queueing every worker's batch.
      const { rows: [column] } = await tx.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'source_time_ms'`,
        [CHECKPOINT_TABLE],
      );
      if (!column) await tx.query(`ALTER TABLE ${CHECKPOINT_TABLE} ADD COLUMN IF NOT EXISTS source_time_ms bigint`);
      for (const thing of this.things()) {
        await tx.query(`CREATE TABLE IF NOT EXISTS ${this.tables[thing]} (${this.definition.tables[thing]})`);
        const view = postgresViewName(this.definition.name, thing);
        const exists = await tx.query('SELECT to_regclass($1) IS NOT NULL AS exists', [pg.escapeIdentifier(view)]);
        if (exists.rows[0]?.exists) continue;
        // Default privileges of the projector role grant SELECT on it to the query role, as for tables.
        await tx.query(`CREATE VIEW ${pg.escapeIdentifier(view)} AS SELECT * FROM ${this.tables[thing]}`);
        this.log.info({ generation: this.generation, view }, 'view pointed at this generation');
      }
    });
  }

  async readCheckpoints(topic: string, partitions?: readonly number[]): Promise<Map<number, string>> {
    const { rows } = await this.pool.query<{ partition: number; offset: string }>(
      `SELECT partition, "offset" FROM ${CHECKPOINT_TABLE} WHERE projection = $1 AND generation = $2 AND topic = $3 AND ($4::int[] IS NULL OR partition = ANY($4))`,
      [this.definition.name, this.generation, topic, partitions ?? null],
    );
    return new Map(rows.map((row) => [row.partition, row.offset]));
  }

  async readFreshness(topic: string): Promise<Map<number, PartitionFreshness>> {
    // "offset" -1 is a row a batch locked but has yet to commit past: nothing applied there.
    const { rows } = await this.pool.query<{ partition: number; offset: string; source_time_ms: string | null }>(
      `SELECT partition, "offset", source_time_ms FROM ${CHECKPOINT_TABLE} WHERE projection = $1 AND generation = $2 AND topic = $3 AND "offset" >= 0`,
      [this.definition.name, this.generation, topic],
    );
    return new Map(rows.map((row) => [row.partition, row.source_time_ms === null ? { offset: row.offset } : { offset: row.offset, sourceTimeMs: Number(row.source_time_ms) }]));
  }

  /** Applies the batch with its checkpoint, atomically; returns what it did (tests and benchmarks read it). */
  async applyBatch(batch: PartitionBatch): Promise<AppliedPgBatch> {
    let counts: AppliedPgBatch;
    try {
      counts = await this.applyInTransaction(batch, true);
    } catch (error) {
      // The batch handler was refused (not a transient failure): everything rolled back, so the
      // chunk goes again one event at a time, and a poison event is the one named.
      if (!(error instanceof BatchHandlerRefused)) throw error;
      this.log.debug({ err: error.message, topic: batch.topic, partition: batch.partition }, 'batch handler refused; applying event by event');
      counts = await this.applyInTransaction(batch, false);
    }
    this.log.debug({ topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset, generation: this.generation, ...counts }, 'batch applied');
    return counts;
  }

  /**
   * One chunk in one transaction, in as few round trips as the live path allows (a chunk there
   * is often one or two events): BEGIN, the commit mode and the checkpoint row created or locked
   * and read, in one simple query; the events; the new checkpoint and COMMIT, in one more. The
   * shared rows a handler updates (sales-report's daily totals, which every partition's chunk
   * touches) stay locked from its statement to the COMMIT: one round trip, where a separate UPDATE
   * and COMMIT made it two, and on a busy machine each round trip is a wait for the CPU as well.
   * Both travel with BEGIN and COMMIT (inTransaction's ends) as literals: names escaped, numbers
   * checked to be integers.
   */
  private applyInTransaction(batch: PartitionBatch, batched: boolean): Promise<AppliedPgBatch> {
    const key = checkpointKeyLiterals(this.definition.name, this.generation, batch.topic, batch.partition);
    const lastOffset = integerLiteral(batch.lastOffset, 'lastOffset');
    const sourceTime = batch.sourceTimeMs === undefined || !Number.isSafeInteger(batch.sourceTimeMs) ? 'NULL' : integerLiteral(batch.sourceTimeMs, 'sourceTimeMs');
    return inTransaction(
      this.pool,
      async (tx, [, locked]) => {
        const checkpoint = BigInt((locked as pg.QueryResult<{ offset: string }> | undefined)?.rows[0]?.offset ?? '-1');
        // Under the row lock, so no other writer can move it between this check and the commit.
        const { expectedCheckpoint } = batch;
        if (expectedCheckpoint !== undefined && checkpoint !== BigInt(expectedCheckpoint ?? '-1')) {
          const actual = checkpoint < 0n ? null : String(checkpoint);
          throw new CheckpointMismatch(this.definition.name, { topic: batch.topic, partition: batch.partition }, expectedCheckpoint, actual);
        }
        const fresh = batch.events.filter((event) => BigInt(event.offset) > checkpoint);
        const applicable = fresh.filter((event) => this.eventTypes.has(event.type));
        if (batched && applicable.length > 1) {
          try {
            await this.definition.apply(applicable, { tx, tables: this.tables });
          } catch (error) {
            if (isTransientStoreFailure(error)) throw error;
            throw new BatchHandlerRefused(error);
          }
        } else {
          for (const event of applicable) await this.projectEvent(event, tx);
        }
        return { applied: fresh.length, alreadyApplied: batch.events.length - fresh.length };
      },
      {
        // A read model is rebuilt from Kafka and its checkpoint commits with its rows: a crash that
        // loses the last commits loses their checkpoint too, and those events are applied again.
        // Not waiting for the WAL flush is what lets live traffic (a transaction per small chunk,
        // the same daily rows in each) keep up.
        // The row lock makes a second worker on the same partition (a rebalance) wait, then see our checkpoint.
        withBegin: `SET LOCAL synchronous_commit = off;
          INSERT INTO ${CHECKPOINT_TABLE} AS c (projection, generation, topic, partition, "offset") VALUES (${key.projection}, ${key.generation}, ${key.topic}, ${key.partition}, -1)
          ON CONFLICT (projection, generation, topic, partition) DO UPDATE SET "offset" = c."offset" RETURNING "offset"`,
        // The source time moves with the checkpoint: only when the checkpoint advances.
        withCommit: `UPDATE ${CHECKPOINT_TABLE}
            SET "offset" = GREATEST("offset", ${lastOffset}),
                source_time_ms = CASE WHEN ${lastOffset} > "offset" AND ${sourceTime}::bigint IS NOT NULL THEN ${sourceTime}::bigint ELSE source_time_ms END
          WHERE projection = ${key.projection} AND generation = ${key.generation} AND topic = ${key.topic} AND partition = ${key.partition}`,
      },
    );
  }

  /** Drops the generation's tables (and, through CASCADE, the views if they pointed here) and its checkpoints. */
  async truncate(): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
      for (const thing of this.things()) await tx.query(`DROP TABLE IF EXISTS ${this.tables[thing]} CASCADE`);
      if ((await tx.query('SELECT to_regclass($1) IS NOT NULL AS exists', [CHECKPOINT_TABLE])).rows[0]?.exists) {
        await tx.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE projection = $1 AND generation = $2`, [this.definition.name, this.generation]);
      }
    });
    this.log.info({ generation: this.generation }, 'generation truncated');
  }

  /**
   * Replaces every pointer view with one on this generation's tables, in one transaction:
   * readers see all views on the old generation or all on the new one. DROP + CREATE rather
   * than CREATE OR REPLACE, which refuses a table whose columns changed with the handlers.
   */
  async activate(): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
      for (const thing of this.things()) {
        const view = pg.escapeIdentifier(postgresViewName(this.definition.name, thing));
        await tx.query(`DROP VIEW IF EXISTS ${view}`);
        await tx.query(`CREATE VIEW ${view} AS SELECT * FROM ${this.tables[thing]}`);
      }
    });
    this.log.info({ generation: this.generation }, 'views moved to this generation');
  }

  /** The pool belongs to the runtime, which ends it. */
  async close(): Promise<void> {}

  private things(): Thing[] {
    return Object.keys(this.definition.tables) as Thing[];
  }

  private async projectEvent(event: ProjectionEvent, tx: pg.PoolClient): Promise<void> {
    try {
      await this.definition.apply([event], { tx, tables: this.tables });
    } catch (error) {
      if (isTransientStoreFailure(error)) throw error;
      throw handlerFailed(this.definition.name, event, error);
    }
  }
}
