// What the CDC role may do in a service's database, granted by each service's migration run as
// the tables' owner: read the outbox and the heartbeat table, and upsert its heartbeat row. Nothing
// more: the role owns no table, so it can neither alter nor drop the outbox.
import pg from 'pg';

export interface OutboxTables {
  schema: string;
  /** Schema-qualified, e.g. write.outbox. */
  outboxTable: string;
  /** Schema-qualified, e.g. write.cdc_heartbeat. */
  heartbeatTable: string;
}

export async function grantOutboxToCdcRole(client: pg.ClientBase, cdcUser: string, { schema, outboxTable, heartbeatTable }: OutboxTables): Promise<void> {
  const cdc = pg.escapeIdentifier(cdcUser);
  await client.query(`GRANT USAGE ON SCHEMA ${pg.escapeIdentifier(schema)} TO ${cdc}`);
  await client.query(`GRANT SELECT ON ${outboxTable}, ${heartbeatTable} TO ${cdc}`);
  await client.query(`GRANT INSERT, UPDATE ON ${heartbeatTable} TO ${cdc}`);
}
