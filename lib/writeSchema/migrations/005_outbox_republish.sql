-- A recovery of the connector's replication slot in progress (`outflow connectors recover`): the
-- outbox rows from `since` on are being published again. The row outlives a recovery that is
-- interrupted, so running the command again resumes it with the same starting point instead of
-- judging from topics that hold only part of the re-published rows. Deleted once streaming runs.
CREATE TABLE write.outbox_republish (
  slot_name    text PRIMARY KEY,
  -- null: every row of the outbox (nothing in the topics could be matched to an outbox row)
  since        timestamptz,
  started_at   timestamptz NOT NULL DEFAULT now()
);
