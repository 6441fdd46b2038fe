-- Ready for sharding by tenant (Citus style), and row-level security beneath the
-- application's own tenant checks.
--
-- Layout for a distribution by tenant:
--   distributed by tenant_id, co-located: licenses, sessions, audit_log; their primary
--     keys lead with tenant_id, and every reference between them includes it;
--   small reference tables, read before the tenant is known: tenants, api_tokens (looked
--     up by secret hash to authenticate), license_keys (below), signing_keys (global).
--
-- Row-level security: every tenant-owned table shows a transaction only the rows of the
-- tenant set with `SET LOCAL app.tenant_id = '<uuid>'`, or every row when the transaction
-- declared itself cross-tenant with `SET LOCAL app.scope = 'system'` (authentication,
-- the reaper, superadmin listings). A connection that set neither sees nothing. The
-- policies are FORCEd, so they bind the tables' owner too; a superuser (or BYPASSRLS)
-- connection is not bound by any policy, so the server switches such connections to the
-- NOLOGIN role coditect_app created here (see PgStore::connect).

-- 1. Keys that lead with tenant_id.
ALTER TABLE licenses DROP CONSTRAINT licenses_pkey;
ALTER TABLE licenses ADD CONSTRAINT licenses_pkey PRIMARY KEY USING INDEX licenses_by_tenant;

ALTER TABLE sessions DROP CONSTRAINT sessions_pkey;
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX sessions_by_license;
CREATE INDEX sessions_by_license ON sessions (tenant_id, license_id, id);
DROP INDEX sessions_active_by_license;
CREATE INDEX sessions_active_by_license ON sessions (tenant_id, license_id, expires_at)
    WHERE status = 'active';
DROP INDEX sessions_one_active_per_hardware;
CREATE UNIQUE INDEX sessions_one_active_per_hardware ON sessions (tenant_id, license_id, hardware_id)
    WHERE status = 'active';

ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
DROP INDEX audit_by_tenant;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, id);

-- 2. The tenant-agnostic key lookup: client endpoints know only the license key, so they
-- find the tenant here first, then scope their transaction to it. Kept in step with
-- licenses by a trigger; its primary key is what keeps license keys globally unique.
CREATE TABLE license_keys (
    key_hash    text PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    license_id  uuid NOT NULL
);
INSERT INTO license_keys (key_hash, tenant_id, license_id)
    SELECT key_hash, tenant_id, id FROM licenses;
ALTER TABLE licenses DROP CONSTRAINT licenses_key_hash_key;
CREATE UNIQUE INDEX licenses_by_key ON licenses (tenant_id, key_hash);

CREATE FUNCTION coditect_sync_license_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM license_keys WHERE key_hash = OLD.key_hash;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO license_keys (key_hash, tenant_id, license_id)
            VALUES (NEW.key_hash, NEW.tenant_id, NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER licenses_sync_key AFTER INSERT OR DELETE OR UPDATE OF key_hash, tenant_id
    ON licenses FOR EACH ROW EXECUTE FUNCTION coditect_sync_license_key();

-- 3. Row-level security.
CREATE FUNCTION coditect_tenant() RETURNS uuid LANGUAGE sql STABLE AS
    $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION coditect_system_scope() RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT coalesce(current_setting('app.scope', true), '') = 'system' $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON tenants
    USING (id = coditect_tenant()) WITH CHECK (id = coditect_tenant());
CREATE POLICY system_rows ON tenants
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_tokens
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON api_tokens
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE licenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE licenses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON licenses
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON licenses
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON sessions
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON sessions
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_log
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON audit_log
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

-- 4. The role the server runs as when it connects as a superuser (or BYPASSRLS) role,
-- which no policy binds. Created only where the migrating role may create roles; shared
-- by every database of the cluster, so a concurrent creation elsewhere is not an error.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
        BEGIN
            CREATE ROLE coditect_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO coditect_app', current_schema());
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO coditect_app',
            current_schema());
        EXECUTE 'REVOKE ALL ON TABLE _sqlx_migrations FROM coditect_app';
        -- Tables of later migrations, created by this same migrating role.
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO coditect_app',
            current_schema());
    END IF;
END $$;
