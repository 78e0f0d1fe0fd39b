// `outflow dlq list --json` against the real read-model Postgres: a parked key shows with its
// reason, first position and number of parked messages.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { ensureParkedKeysTable, parkBehind, parkKey } from '../../projectors/runtime/parkedKeysTable.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

const cli = path.join(config().repoRoot, 'bin', 'outflow.js');

t.test('`dlq list --json` shows parked keys with reason and message count', async (t) => {
  await ensureStack('postgres-read');
  const { host, port, database, user, password } = config().readModel.postgres;
  const pool = new pg.Pool({ host, port, database, user, password, max: 2 });
  const generation = crypto.randomInt(1_000_000, 2 ** 31);
  const key = uniqueName('order');
  t.teardown(async () => {
    await pool.query('DELETE FROM projector_parked_keys WHERE projection = $1 AND generation = $2', ['order-summary', generation]);
    await pool.end();
  });
  await ensureParkedKeysTable(pool);
  const id = { projection: 'order-summary', generation, key };
  await parkKey(pool, { ...id, topic: 'events.order', partition: 3, offset: '41', reason: 'OUTFLOW_ERR_NOT_WIRE_FORMAT: magic byte is 123', dlqOffset: '7' });
  t.ok(await parkBehind(pool, id, '8'));

  const listed = spawnSync(process.execPath, [cli, 'dlq', 'list', 'order-summary', '--generation', String(generation), '--json'], { encoding: 'utf8' });
  t.equal(listed.status, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), [
    { projection: 'order-summary', generation, key, topic: 'events.order', partition: 3, firstOffset: '41', reason: /NOT_WIRE_FORMAT/, parkedMessages: 2, firstDlqOffset: '7', lastDlqOffset: '8' },
  ]);

  const table = spawnSync(process.execPath, [cli, 'dlq', 'list', 'order-summary', '--generation', String(generation)], { encoding: 'utf8' });
  t.equal(table.status, 0);
  t.match(table.stdout, new RegExp(`${key}\\s+2\\s+events\\.order\\[3\\]@41`));
});
