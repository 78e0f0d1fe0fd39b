// Versioned SQL migrations: files named NNN_description.sql in one directory, each
// applied once, in order, in its own transaction, and recorded in a table. An
// advisory lock makes concurrent runs wait instead of racing; running twice is a no-op.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { MigrationFailed } from './errors.ts';

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function migrate(client: pg.Client, { directory, historyTable }: { directory: string; historyTable: string }): Promise<MigrationResult> {
  const files = fs.readdirSync(directory).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  // A fixed lock id per history table, so write and read migrations do not block each other.
  const lockId = [...historyTable].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);
  await client.query('SELECT pg_advisory_lock($1)', [lockId]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${historyTable} (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: string }>(`SELECT version FROM ${historyTable}`)).rows.map((r) => r.version));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      if (done.has(file)) {
        result.alreadyApplied.push(file);
        continue;
      }
      const sql = fs.readFileSync(path.join(directory, file), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query(`INSERT INTO ${historyTable} (version) VALUES ($1)`, [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationFailed(file, error);
      }
      result.applied.push(file);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockId]);
  }
}
