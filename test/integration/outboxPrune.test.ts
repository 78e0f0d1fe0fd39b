import crypto from 'node:crypto';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { applySource } from '../../connectors/applyConnector.ts';
import { COMMAND_API_SOURCE } from '../../connectors/sourceConnector.ts';
import { writeDatabaseClient } from '../../lib/writeDatabase.ts';
import { migrateWriteSchema } from '../../lib/writeSchema/writeSchemaMigration.ts';
import { parseAge, pruneOutbox } from '../../connectors/outboxPruner.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('postgres', 'kafka', 'registry', 'kafka-connect');
await migrateWriteSchema(config());
await applySource(config(), COMMAND_API_SOURCE);
const db = writeDatabaseClient(config());
await db.connect();
// A prune deletes by age alone, across the whole outbox. This file's rows are ten years old
// (nothing else in the outbox is), so its prunes can only reach rows it made itself.
const TEN_YEARS = parseAge('3650d');
const DAY = parseAge('1d');
// Rows an earlier run of this file left when it stopped half-way.
await db.query(`DELETE FROM write.outbox WHERE aggregate_type = 'prune-test'`);
const inserted: string[] = [];
t.teardown(async () => {
  await db.query('DELETE FROM write.outbox WHERE event_id = ANY($1::uuid[])', [inserted]);
  await db.end();
});

async function insertOutboxRow(ageMs: number) {
  const eventId = crypto.randomUUID();
  inserted.push(eventId);
  // The connector streams this insert; the payload is not Avro, so give it a key no projection owns.
  await db.query(
    `INSERT INTO write.outbox (event_id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, occurred_at)
     VALUES ($1, 'prune-test', $2, 1, 'PruneTest', '\\x00', now() - make_interval(secs => $3))`,
    [eventId, `prune-${eventId}`, ageMs / 1000],
  );
  return eventId;
}
const exists = async (eventId: string) => (await db.query('SELECT 1 FROM write.outbox WHERE event_id = $1', [eventId])).rowCount === 1;

t.test('prune deletes only rows older than the age, and a dry run deletes nothing', async (t) => {
  const old = await insertOutboxRow(TEN_YEARS + DAY);
  const recent = await insertOutboxRow(TEN_YEARS - DAY);
  const dry = await pruneOutbox(config(), { olderThanMs: TEN_YEARS, dryRun: true });
  t.equal(dry.rows, 1, 'a dry run counts the one row older than the age');
  t.ok(await exists(old), 'a dry run keeps the row');
  const pruned = await pruneOutbox(config(), { olderThanMs: TEN_YEARS, dryRun: false });
  t.equal(pruned.rows, 1, 'the prune deletes that row');
  t.notOk(await exists(old));
  t.ok(await exists(recent), 'a row younger than the age stays');
});

t.test('outbox deletes are never published: the publication streams inserts and updates only', async (t) => {
  const { rows } = await db.query('SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = $1', ['outflow_outbox']);
  t.same(rows, [{ pubinsert: true, pubupdate: true, pubdelete: false, pubtruncate: false }]);
});

t.test('bad ages are refused', async (t) => {
  t.throws(() => parseAge('7 days'), { code: 'OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED' });
  await t.rejects(pruneOutbox(config(), { olderThanMs: parseAge('30m'), dryRun: true }), { code: 'OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED', message: /younger than 1h/ });
});
