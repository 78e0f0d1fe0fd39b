-- The write model: normalized tables owned by the command API, and the outbox that
-- Debezium streams. Every aggregate row carries a version for optimistic concurrency.
CREATE SCHEMA IF NOT EXISTS write;

CREATE TABLE write.products (
  sku          text PRIMARY KEY,
  name         text NOT NULL,
  description  text NOT NULL,
  category     text NOT NULL,
  brand        text NOT NULL,
  price_cents  bigint NOT NULL CHECK (price_cents > 0),
  version      bigint NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- One inventory aggregate per SKU: its own version and event stream (events.inventory).
CREATE TABLE write.inventory (
  sku         text PRIMARY KEY REFERENCES write.products (sku),
  available   integer NOT NULL CHECK (available >= 0),
  version     bigint NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE write.orders (
  order_id          text PRIMARY KEY,
  customer_id       text NOT NULL,
  status            text NOT NULL CHECK (status IN ('placed', 'cancelled', 'shipped')),
  total_cents       bigint NOT NULL CHECK (total_cents >= 0),
  shipping_address  jsonb NOT NULL,
  cancel_reason     text,
  carrier           text,
  tracking_number   text,
  version           bigint NOT NULL,
  placed_at         timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX orders_by_customer ON write.orders (customer_id, placed_at DESC);

CREATE TABLE write.order_items (
  order_id          text NOT NULL REFERENCES write.orders (order_id),
  line_no           integer NOT NULL,
  sku               text NOT NULL REFERENCES write.products (sku),
  name              text NOT NULL,
  category          text NOT NULL,
  quantity          integer NOT NULL CHECK (quantity > 0),
  unit_price_cents  bigint NOT NULL,
  line_total_cents  bigint NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

-- The outbox: one row per event, written in the same transaction as the state change.
-- payload is the event already encoded as Avro in the Confluent wire format
-- (magic byte, 4-byte schema id, Avro body); Debezium passes it through as bytes.
CREATE TABLE write.outbox (
  event_id           uuid PRIMARY KEY,
  aggregate_type     text NOT NULL,
  aggregate_id       text NOT NULL,
  aggregate_version  bigint NOT NULL,
  event_type         text NOT NULL,
  payload            bytea NOT NULL,
  occurred_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_by_age ON write.outbox (occurred_at);

-- Idempotency keys: the first response to (principal, key) is stored and replayed.
CREATE TABLE write.processed_commands (
  principal        text NOT NULL,
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  response_status  integer NOT NULL,
  response_body    jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, idempotency_key)
);

-- API keys kept in the database (keys can also come from the environment). Only a
-- SHA-256 of the key is stored.
CREATE TABLE write.api_keys (
  key_sha256   text PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'customer')),
  customer_id  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (role = 'admin' OR customer_id IS NOT NULL)
);

-- Written by Debezium's heartbeat action query so the replication slot advances
-- (and WAL is released) even while the outbox is idle.
CREATE TABLE write.cdc_heartbeat (
  id       integer PRIMARY KEY,
  beat_at  timestamptz NOT NULL
);
