-- The dashboard's one search box finds a license by a hardware id or user e-mail any of
-- its sessions ever had (issue 15): these make those exact lookups index probes per
-- license instead of scans of its session history.
CREATE INDEX sessions_by_hardware ON sessions (tenant_id, license_id, hardware_id);
-- E-mails compare lower-cased in ASCII only, as SQLite's lower() does, so both backends
-- find the same licenses.
CREATE INDEX sessions_by_email ON sessions (tenant_id, license_id,
    translate(user_email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'))
    WHERE user_email IS NOT NULL;

-- Keys a license had before a reissue (issue 15): they admit no new seat, but the seats
-- they gave heartbeat and release with them until they end. A tenant's rows like any
-- other: the client path, which knows only the key, looks one up in a system-scoped
-- transaction (as authentication by token hash does).
CREATE TABLE retired_license_keys (
    key_hash    text PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    license_id  uuid NOT NULL,
    retired_at  timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id)
);
CREATE INDEX retired_license_keys_by_license ON retired_license_keys (license_id);
ALTER TABLE retired_license_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE retired_license_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON retired_license_keys
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON retired_license_keys
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

-- Archived licenses (issue 15): out of the default listings and suspended.
ALTER TABLE licenses ADD COLUMN archived_at timestamptz;

-- Denials name who was refused (issue 15): the hardware id and e-mail of the refused
-- acquire, so a vendor sees which machines hit the seat limit (the upsell). A queued
-- acquire's place keeps them too, for the denial recorded when its wait runs out.
ALTER TABLE usage_denials ADD COLUMN hardware_id text, ADD COLUMN user_email text;
ALTER TABLE seat_waiters ADD COLUMN hardware_id text, ADD COLUMN user_email text;
CREATE INDEX usage_denials_by_tenant_id ON usage_denials (tenant_id, id);

-- coditect_acquire of migration 0011, unchanged but for the two INSERTs that now carry
-- the hardware id and e-mail.
CREATE OR REPLACE FUNCTION coditect_acquire(p_key_hash text, p_hardware_id text, p_user_email text,
    p_client jsonb, p_waiter uuid, p_borrow_hours bigint, p_new_id uuid,
    p_waiter_ttl_seconds bigint, p_denial_id uuid, p_reclaimed boolean,
    OUT outcome text, OUT seats_used bigint, OUT waiting bigint, OUT db_now timestamptz,
    OUT license licenses, OUT session sessions)
LANGUAGE plpgsql AS $$
DECLARE
    same sessions;
    mine timestamptz;
    d record;
BEGIN
    PERFORM coditect_scope_to_key(p_key_hash);
    SELECT l.* INTO license FROM licenses l
        WHERE l.tenant_id = coditect_tenant() AND l.key_hash = p_key_hash FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'license_not_found';
        RETURN;
    END IF;
    db_now := clock_timestamp();
    -- Dead seats still marked active are reclaimed (marked expired and audited) by the
    -- caller first, as the reaper would: the seat is free at once, recorded once, and the
    -- one-live-session-per-hardware index cannot trip over a dead one.
    -- The caller, having just reclaimed (p_reclaimed), leaves seats that died since then to
    -- the reaper: under a storm of expiries there would always be a new one.
    IF NOT p_reclaimed AND EXISTS (SELECT 1 FROM sessions s WHERE s.tenant_id = license.tenant_id
            AND s.license_id = license.id AND s.status = 'active' AND s.expires_at <= db_now) THEN
        outcome := 'reclaim';
        RETURN;
    END IF;
    seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
    -- Locked so that a reaper or forced release cannot end it between decision and write.
    SELECT s.* INTO same FROM sessions s WHERE s.tenant_id = license.tenant_id
        AND s.license_id = license.id AND s.hardware_id = p_hardware_id AND s.status = 'active'
        FOR UPDATE;
    IF same.id IS NOT NULL AND same.expires_at <= db_now THEN
        outcome := 'reclaim';
        RETURN;
    END IF;
    -- The queue: abandoned places go, then the places ahead of this acquire are counted
    -- (all of them for an acquire without a place).
    DELETE FROM seat_waiters WHERE license_id = license.id AND expires_at <= db_now;
    IF p_waiter IS NOT NULL THEN
        SELECT enqueued_at INTO mine FROM seat_waiters WHERE id = p_waiter;
    END IF;
    IF mine IS NOT NULL THEN
        SELECT count(*) INTO waiting FROM seat_waiters WHERE license_id = license.id
            AND (enqueued_at, id) < (mine, p_waiter);
    ELSE
        SELECT count(*) INTO waiting FROM seat_waiters WHERE license_id = license.id;
    END IF;
    d := coditect_decide_acquire(license.is_active, license.expires_at,
        license.heartbeat_ttl_seconds, license.seats_total, license.max_borrow_hours, db_now,
        seats_used, waiting, same.id, same.status, same.expires_at, same.borrowed,
        p_borrow_hours);
    IF d.outcome = 'no_seats_available' THEN
        IF p_waiter IS NOT NULL THEN
            INSERT INTO seat_waiters (id, tenant_id, license_id, enqueued_at, expires_at,
                    hardware_id, user_email)
                VALUES (p_waiter, license.tenant_id, license.id, db_now,
                        db_now + p_waiter_ttl_seconds * interval '1 second',
                        p_hardware_id, p_user_email)
                ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at;
        ELSE
            INSERT INTO usage_denials (id, tenant_id, license_id, at, hardware_id, user_email)
                VALUES (p_denial_id, license.tenant_id, license.id, db_now, p_hardware_id,
                        p_user_email);
        END IF;
    END IF;
    IF d.outcome NOT IN ('create', 'resume') THEN
        outcome := d.outcome;
        RETURN;
    END IF;
    IF p_waiter IS NOT NULL THEN
        DELETE FROM seat_waiters WHERE id = p_waiter;
    END IF;
    IF d.outcome = 'resume' THEN
        UPDATE sessions s SET expires_at = d.expires_at, last_heartbeat_at = db_now,
            user_email = p_user_email, client = p_client,
            borrowed = (s.borrowed OR p_borrow_hours IS NOT NULL)
            WHERE s.tenant_id = license.tenant_id AND s.id = d.resume_id
            RETURNING s.* INTO session;
        outcome := 'resumed';
    ELSE
        INSERT INTO sessions (id, tenant_id, license_id, hardware_id, user_email, client,
                status, created_at, last_heartbeat_at, expires_at, borrowed)
            VALUES (p_new_id, license.tenant_id, license.id, p_hardware_id, p_user_email,
                p_client, 'active', db_now, db_now, d.expires_at, p_borrow_hours IS NOT NULL)
            RETURNING * INTO session;
        seats_used := seats_used + 1;
        outcome := 'created';
    END IF;
END $$;
