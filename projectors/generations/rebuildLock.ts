// At most one rebuild per projection, and at most `maxConcurrent` rebuilds at all. Both are
// session-level advisory locks on a connection of the rebuild's own: they last exactly as
// long as the rebuild's process, so Ctrl-C, kill -9 or a lost machine release them with the
// connection, and the next run resumes the building generation the registry still records.
import pg from 'pg';
import type { Config } from '../../lib/config.ts';
import { RebuildRefused } from '../../lib/errors.ts';
import { projectionLockKey, REBUILD_LOCK, REBUILD_SLOT_LOCK } from './generationRegistry.ts';

export interface RunningRebuild {
  projection: string;
  generation: number;
  startedAt?: Date;
}

/** Building generations whose rebuild holds its lock right now. */
export async function runningRebuilds(db: pg.Pool | pg.Client | pg.PoolClient): Promise<RunningRebuild[]> {
  const { rows } = await db.query<{ projection: string; generation: number; startedAt: Date | null }>(
    `SELECT g.projection, g.generation, g.rebuild_started_at AS "startedAt"
       FROM projection_generations g
      WHERE g.state = 'building'
        AND EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                       AND l.classid = ${REBUILD_LOCK}::oid AND l.objid = (hashtext(g.projection) & 2147483647)::oid)
      ORDER BY g.rebuild_started_at, g.projection`,
  );
  return rows.map((row) => (row.startedAt ? { projection: row.projection, generation: row.generation, startedAt: row.startedAt } : { projection: row.projection, generation: row.generation }));
}

export class RebuildLock {
  /** Set when the lock's connection failed: the locks are gone with it, so the rebuild must stop. */
  lost: Error | undefined;

  private constructor(
    private readonly client: pg.Client,
    readonly projection: string,
    readonly slot: number,
  ) {
    client.on('error', (error) => {
      this.lost = error;
    });
  }

  /** Takes the projection's lock and a free slot, or throws RebuildRefused naming the running rebuilds. */
  static async acquire(config: Config, projection: string, maxConcurrent = config.rebuild.maxConcurrent): Promise<RebuildLock> {
    const { host, port, database, user, password } = config.readModel.postgres;
    const client = new pg.Client({ host, port, database, user, password, application_name: `outflow rebuild ${projection}` });
    await client.connect();
    try {
      const own = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${REBUILD_LOCK}, ${projectionLockKey}) AS locked`, [projection]);
      if (!own.rows[0]?.locked) {
        const running = (await runningRebuilds(client)).filter((r) => r.projection === projection);
        throw new RebuildRefused(projection, `another rebuild of ${projection} is running`, running);
      }
      for (let slot = 0; slot < maxConcurrent; slot++) {
        const taken = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${REBUILD_SLOT_LOCK}, $1) AS locked`, [slot]);
        if (taken.rows[0]?.locked) return new RebuildLock(client, projection, slot);
      }
      const running = await runningRebuilds(client);
      throw new RebuildRefused(projection, `${maxConcurrent} rebuild(s) are running, the most OUTFLOW_REBUILD_MAX_CONCURRENT allows`, running);
    } catch (error) {
      await client.end();
      throw error;
    }
  }

  /** Ends the session, which releases both locks. */
  async release(): Promise<void> {
    await this.client.end();
  }
}
