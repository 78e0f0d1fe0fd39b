-- Same roles and databases as the native stack's bootstrap (infra/local/components/postgres.ts).
CREATE ROLE outflow_cdc LOGIN REPLICATION PASSWORD 'outflow_cdc';
CREATE DATABASE outflow_payments OWNER outflow;
CREATE DATABASE outflow_registry OWNER outflow;
