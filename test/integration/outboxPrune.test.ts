import crypto from 'node:crypto';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { applyOutboxConnector } from '../../connectors/applyConnector.ts';
import { migrateWriteSchema, writeDatabaseClient } from '../../command-api/writeSchema.ts';
import { parseAge, pruneOutbox } from '../../command-api/outboxPruner.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('postgres', 'kafka', 'registry', 'kafka-connect');
await migrateWriteSchema(config());
await applyOutboxConnector(config());
const db = writeDatabaseClient(config());
await db.connect();
t.teardown(() => db.end());

async function insertOutboxRow(ageMs: number) {
  const eventId = crypto.randomUUID();
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
  const old = await insertOutboxRow(parseAge('8d'));
  const recent = await insertOutboxRow(parseAge('2h'));
  const dry = await pruneOutbox(config(), { olderThanMs: parseAge('7d'), dryRun: true });
  t.ok(dry.rows >= 1);
  t.ok(await exists(old), 'a dry run keeps the row');
  const pruned = await pruneOutbox(config(), { olderThanMs: parseAge('7d'), dryRun: false });
  t.ok(pruned.rows >= 1);
  t.notOk(await exists(old));
  t.ok(await exists(recent));
});

t.test('outbox deletes are never published: the publication streams inserts and updates only', async (t) => {
  const { rows } = await db.query('SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = $1', ['outflow_outbox']);
  t.same(rows, [{ pubinsert: true, pubupdate: true, pubdelete: false, pubtruncate: false }]);
});

t.test('bad ages are refused', async (t) => {
  t.throws(() => parseAge('7 days'), { code: 'OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED' });
  await t.rejects(pruneOutbox(config(), { olderThanMs: parseAge('30m'), dryRun: true }), { code: 'OUTFLOW_ERR_OUTBOX_PRUNE_REFUSED', message: /younger than 1h/ });
});
