-- Row-level security for the seat queue of migration 0002, with the same two policies as
-- migration 0004. Queue places are read and written inside the acquire's key-scoped
-- transaction; abandoning a place runs cross-tenant (`app.scope = 'system'`).
ALTER TABLE seat_waiters ENABLE ROW LEVEL SECURITY;
ALTER TABLE seat_waiters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON seat_waiters
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON seat_waiters
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
