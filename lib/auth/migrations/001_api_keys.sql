-- Stored API keys, on the read-model server: both APIs read them (the query API holds no
-- credentials for the write database), only the operator CLI writes them. Only a SHA-256 of
-- each key is kept; the key itself is shown once, when it is created.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.api_keys (
  key_id       text PRIMARY KEY,
  key_sha256   text NOT NULL UNIQUE,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'analyst', 'customer')),
  customer_id  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);
