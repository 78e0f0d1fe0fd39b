-- The read-model server's roles, as in infra/local/components/postgres.ts (readPostgresInstance).
CREATE ROLE outflow_query LOGIN PASSWORD 'outflow_query';
REVOKE ALL ON DATABASE outflow_read FROM PUBLIC;
GRANT CONNECT ON DATABASE outflow_read TO outflow_projector, outflow_query;
GRANT USAGE ON SCHEMA public TO outflow_query;
ALTER DEFAULT PRIVILEGES FOR ROLE outflow_projector GRANT SELECT ON TABLES TO outflow_query;
ALTER DEFAULT PRIVILEGES FOR ROLE outflow_projector GRANT USAGE ON SCHEMAS TO outflow_query;
