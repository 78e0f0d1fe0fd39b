-- The payments service's own database: its state, its outbox and its heartbeat. It shares no
-- table and no transaction with the command API's database; Debezium streams it through a
-- connector of its own (connectors/sources/payments.json) into events.payment.
CREATE SCHEMA IF NOT EXISTS payments;

-- One payment per order: authorized, then captured, then perhaps refunded. version is the
-- payment aggregate's (its events' aggregateVersion), independent of the order's.
CREATE TABLE payments.payments (
  order_id       text PRIMARY KEY,
  status         text NOT NULL CHECK (status IN ('authorized', 'captured', 'refunded')),
  amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
  refund_reason  text,
  version        bigint NOT NULL,
  authorized_at  timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

-- The same columns as the command API's outbox: the connector's outbox router reads them by name.
CREATE TABLE payments.outbox (
  event_id           uuid PRIMARY KEY,
  aggregate_type     text NOT NULL,
  aggregate_id       text NOT NULL,
  aggregate_version  bigint NOT NULL,
  event_type         text NOT NULL,
  payload            bytea NOT NULL,
  occurred_at        timestamptz NOT NULL DEFAULT now(),
  traceparent        text
);
CREATE INDEX outbox_by_age ON payments.outbox (occurred_at);

CREATE TABLE payments.cdc_heartbeat (
  id       integer PRIMARY KEY,
  beat_at  timestamptz NOT NULL
);

-- Created here, by the tables' owner, for the reason lib/writeSchema/migrations/002_cdc_publication.sql gives.
CREATE PUBLICATION outflow_payments FOR TABLE payments.outbox, payments.cdc_heartbeat WITH (publish = 'insert, update');
