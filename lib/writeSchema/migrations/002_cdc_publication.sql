-- The publication Debezium streams from (connectors/outbox-connector.json names it).
-- Created here, by the tables' owner, so the CDC role needs no ownership: CREATE/ALTER
-- PUBLICATION ... FOR TABLE requires owning every table, and giving that to the CDC role
-- would also let it ALTER or DROP the outbox. With publication.autocreate.mode=filtered
-- Debezium only compares this table list with its table.include.list and leaves it alone
-- when they match (a mismatch makes it try ALTER PUBLICATION, which fails loudly).
-- publish = 'insert, update': the outbox is pruned with DELETE, and those deletes must never
-- reach the stream; update stays because the heartbeat query upserts write.cdc_heartbeat.
CREATE PUBLICATION outflow_outbox FOR TABLE write.outbox, write.cdc_heartbeat WITH (publish = 'insert, update');
