-- Row-level security for the tenant-owned tables of migration 0003 (memberships,
-- invitations, usage history), with the same two policies as migration 0004: a
-- transaction sees the rows of the tenant it set with `SET LOCAL app.tenant_id`, or every
-- row when it declared itself cross-tenant (`SET LOCAL app.scope = 'system'`). Users, web
-- sessions, password resets and the mail outbox have no tenant and stay unrestricted.

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON memberships
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON memberships
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON invitations
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON invitations
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE usage_samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_samples FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON usage_samples
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON usage_samples
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE usage_denials ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_denials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON usage_denials
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON usage_denials
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
