-- Heartbeats off the license row (issue 12). A heartbeat used to take the license row's
-- FOR KEY SHARE lock so that no acquire could count the license's seats while it extended
-- one: a tuple lock writes the license row and WAL, and the overlapping heartbeats of one
-- license turn it into a multixact, which cost more than the heartbeat's own update. The
-- same exclusion is now a transaction-scoped advisory lock on the license's seats: shared
-- for a heartbeat, exclusive for an acquire and for the reclaim of dead seats (taken
-- after the license row's FOR UPDATE, before the clock is read). It lives in the lock
-- manager's memory: no row write, no WAL. The order stays that of migration 0011: the
-- seat lock, then the session row, then the clock.
--
-- A release takes no seat lock: ending a seat can only make an acquire's count too high,
-- never too low. Nor do the admin's license changes (suspend, seats, TTL): one that
-- commits while a heartbeat is under way is ordered after it, as two concurrent requests
-- may be.
--
-- The heartbeat's decision is now plain SQL expressions the planner inlines into the
-- UPDATE (coditect_heartbeat_outcome, coditect_refreshed_expiry, coditect_session_expiry;
-- the last two are STABLE, as timestamptz + interval is: an IMMUTABLE SQL function whose
-- body is only STABLE is never inlined and was parsed and planned at every call).
-- coditect_decide_heartbeat, which the `seat_rules` test compares with the domain crate,
-- is built from the same functions.

-- The advisory-lock key of a license's seats.
CREATE FUNCTION coditect_seat_lock_key(p_license_id uuid) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended('coditect-seats:' || p_license_id::text, 0)
$$;

CREATE OR REPLACE FUNCTION coditect_session_expiry(p_ttl_seconds bigint,
    p_license_expires_at timestamptz, p_now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT least(p_now + p_ttl_seconds * interval '1 second', p_license_expires_at)
$$;

CREATE OR REPLACE FUNCTION coditect_refreshed_expiry(p_ttl_seconds bigint,
    p_license_expires_at timestamptz, p_borrowed boolean, p_session_expires_at timestamptz,
    p_now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_borrowed AND p_session_expires_at
                > coditect_session_expiry(p_ttl_seconds, p_license_expires_at, p_now) THEN
            CASE WHEN p_license_expires_at IS NOT NULL
                      AND p_license_expires_at < p_session_expires_at
                 THEN greatest(p_license_expires_at,
                      coditect_session_expiry(p_ttl_seconds, p_license_expires_at, p_now))
                 ELSE p_session_expires_at END
        ELSE coditect_session_expiry(p_ttl_seconds, p_license_expires_at, p_now) END
$$;

-- seats::decide_heartbeat's outcome: 'ok' or the refusal's code.
CREATE FUNCTION coditect_heartbeat_outcome(p_status text, p_end_reason text,
    p_session_expires_at timestamptz, p_is_active boolean, p_license_expires_at timestamptz,
    p_now timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN NOT (p_status = 'active' AND p_now < p_session_expires_at) THEN
            CASE WHEN p_status <> 'released' THEN 'session_expired'
                 WHEN p_end_reason = 'forced' THEN 'session_force_released'
                 ELSE 'session_released' END
        WHEN coditect_license_state(p_is_active, p_license_expires_at, p_now) <> 'valid' THEN
            coditect_license_state(p_is_active, p_license_expires_at, p_now)
        ELSE 'ok' END
$$;

CREATE OR REPLACE FUNCTION coditect_decide_heartbeat(
    p_status text, p_end_reason text, p_session_expires_at timestamptz, p_borrowed boolean,
    p_is_active boolean, p_license_expires_at timestamptz, p_ttl_seconds bigint,
    p_now timestamptz, OUT outcome text, OUT expires_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT o, CASE WHEN o = 'ok' THEN coditect_refreshed_expiry(p_ttl_seconds,
                   p_license_expires_at, p_borrowed, p_session_expires_at, p_now) END
    FROM coditect_heartbeat_outcome(p_status, p_end_reason, p_session_expires_at,
        p_is_active, p_license_expires_at, p_now) o
$$;

-- Extends a live session: the key's tenant, the license and the seat lock (shared), then
-- the clock, then one UPDATE that locks the session row, decides (in its WHERE, re-checked
-- on the newest row version if a reaper, a forced release or another heartbeat got there
-- first) and writes, and counts the live seats in the same statement. Only a refusal reads
-- the session again, under its lock, to say why.
CREATE OR REPLACE FUNCTION coditect_heartbeat(p_key_hash text, p_session_id uuid,
    OUT outcome text, OUT seats_used bigint, OUT db_now timestamptz,
    OUT license licenses, OUT session sessions)
LANGUAGE plpgsql AS $$
DECLARE
    done record;
BEGIN
    PERFORM coditect_scope_to_key(p_key_hash);
    SELECT l.* INTO license FROM licenses l
        JOIN sessions s ON s.tenant_id = l.tenant_id AND s.license_id = l.id
        WHERE l.tenant_id = coditect_tenant() AND l.key_hash = p_key_hash AND s.id = p_session_id;
    IF NOT FOUND THEN
        outcome := 'session_not_found';
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(coditect_seat_lock_key(license.id));
    db_now := clock_timestamp();
    UPDATE sessions s SET last_heartbeat_at = db_now,
        expires_at = coditect_refreshed_expiry(license.heartbeat_ttl_seconds,
            license.expires_at, s.borrowed, s.expires_at, db_now)
        WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id
        AND coditect_heartbeat_outcome(s.status, s.end_reason, s.expires_at,
            license.is_active, license.expires_at, db_now) = 'ok'
        RETURNING s AS row, (SELECT count(*) FROM sessions c
            WHERE c.tenant_id = license.tenant_id AND c.license_id = license.id
            AND c.status = 'active' AND c.expires_at > db_now) AS live
        INTO done;
    IF FOUND THEN
        -- The session was live at db_now and stays live: the count (taken in the
        -- statement's snapshot, before its own update) includes it.
        outcome := 'ok';
        session := done.row;
        seats_used := done.live;
        RETURN;
    END IF;
    SELECT s.* INTO session FROM sessions s
        WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id FOR UPDATE;
    outcome := coditect_heartbeat_outcome(session.status, session.end_reason,
        session.expires_at, license.is_active, license.expires_at, db_now);
    IF outcome = 'ok' THEN
        UPDATE sessions s SET last_heartbeat_at = db_now,
            expires_at = coditect_refreshed_expiry(license.heartbeat_ttl_seconds,
                license.expires_at, s.borrowed, s.expires_at, db_now)
            WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id
            RETURNING s.* INTO session;
        seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
    END IF;
END $$;

-- Ends a session by its client; idempotent (as in migration 0011), now without a lock on
-- the license or a count nobody reads: the key's session row is locked, then the clock.
CREATE OR REPLACE FUNCTION coditect_release(p_key_hash text, p_session_id uuid,
    OUT outcome text, OUT license_id uuid, OUT db_now timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    session sessions;
    d text;
BEGIN
    PERFORM coditect_scope_to_key(p_key_hash);
    SELECT s.* INTO session FROM sessions s
        JOIN licenses l ON l.tenant_id = s.tenant_id AND l.id = s.license_id
        WHERE l.tenant_id = coditect_tenant() AND l.key_hash = p_key_hash AND s.id = p_session_id
        FOR UPDATE OF s;
    IF NOT FOUND THEN
        outcome := 'session_not_found';
        RETURN;
    END IF;
    db_now := clock_timestamp();
    license_id := session.license_id;
    d := coditect_decide_release(session.status, session.expires_at, db_now);
    IF d <> 'release' THEN
        outcome := 'already_' || d;
        RETURN;
    END IF;
    UPDATE sessions SET status = 'released', end_reason = 'released', ended_at = db_now
        WHERE tenant_id = session.tenant_id AND id = p_session_id;
    outcome := 'released';
END $$;

-- coditect_acquire of migration 0014, unchanged but for the seat lock (exclusive), taken
-- after the license row's lock and before the clock is read.
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
    PERFORM pg_advisory_xact_lock(coditect_seat_lock_key(license.id));
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
