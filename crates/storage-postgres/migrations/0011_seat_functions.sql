-- The client's seat operations as functions, so each is one statement: one round trip and
-- one transaction (the statement's own), with the tenant scope, the row locks, the decision
-- and the writes all inside the database. They keep the order of migration 0004's seat
-- transactions: scope to the key's tenant, lock the license row, lock the session row, then
-- read clock_timestamp() and count in later statements (a VOLATILE function takes a new
-- snapshot for each statement, so each sees what committed before it started, as under
-- READ COMMITTED). They run as the caller (SECURITY INVOKER): row-level security applies
-- to every statement in them.
--
-- The decisions are the domain crate's rules (coditect_domain::seats), written again here
-- as the IMMUTABLE coditect_decide_* functions; the storage-postgres test `seat_rules`
-- runs generated inputs and operation sequences through both and requires the same
-- outcome. Constants of the domain (a waiter's time to live) come in as arguments.

-- Scopes the current transaction to the tenant owning the license with this key (no
-- tenant for an unknown key: every tenant-owned row is then invisible).
CREATE FUNCTION coditect_scope_to_key(p_key_hash text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM license_keys
        WHERE key_hash = p_key_hash), ''), true);
END $$;

-- License::state: 'valid', 'license_suspended' or 'license_expired'.
CREATE FUNCTION coditect_license_state(p_is_active boolean, p_expires_at timestamptz,
    p_now timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT p_is_active THEN 'license_suspended'
                WHEN p_expires_at IS NOT NULL AND p_now >= p_expires_at THEN 'license_expired'
                ELSE 'valid' END
$$;

-- seats::session_expiry: one TTL on, never past the license's expiry.
CREATE FUNCTION coditect_session_expiry(p_ttl_seconds bigint, p_license_expires_at timestamptz,
    p_now timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT least(p_now + p_ttl_seconds * interval '1 second', p_license_expires_at)
$$;

-- seats::refreshed_expiry: a borrowed session keeps its borrow's end if later than a TTL on.
-- (PL/pgSQL, as every function here that reads a table or has a FROM: its plans are cached
-- per connection, where an SQL function that is not inlined is planned at every call.)
CREATE FUNCTION coditect_refreshed_expiry(p_ttl_seconds bigint, p_license_expires_at timestamptz,
    p_borrowed boolean, p_session_expires_at timestamptz, p_now timestamptz) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    by_ttl timestamptz := coditect_session_expiry(p_ttl_seconds, p_license_expires_at, p_now);
BEGIN
    IF p_borrowed AND p_session_expires_at > by_ttl THEN
        IF p_license_expires_at IS NOT NULL AND p_license_expires_at < p_session_expires_at THEN
            RETURN greatest(p_license_expires_at, by_ttl);
        END IF;
        RETURN p_session_expires_at;
    END IF;
    RETURN by_ttl;
END $$;

-- seats::decide_acquire. outcome: 'create', 'resume' (of resume_id), or the refusal's
-- contract code ('license_suspended', 'license_expired', 'borrowing_disabled',
-- 'borrow_too_long', 'no_seats_available').
CREATE FUNCTION coditect_decide_acquire(
    p_is_active boolean, p_license_expires_at timestamptz, p_ttl_seconds bigint,
    p_seats_total bigint, p_max_borrow_hours bigint, p_now timestamptz, p_live bigint,
    p_ahead bigint, p_same_id uuid, p_same_status text, p_same_expires_at timestamptz,
    p_same_borrowed boolean, p_borrow_hours bigint,
    OUT outcome text, OUT expires_at timestamptz, OUT resume_id uuid)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    state text := coditect_license_state(p_is_active, p_license_expires_at, p_now);
BEGIN
    IF state <> 'valid' THEN
        outcome := state;
        RETURN;
    END IF;
    IF p_borrow_hours IS NOT NULL THEN
        IF p_max_borrow_hours = 0 THEN
            outcome := 'borrowing_disabled';
            RETURN;
        END IF;
        IF p_borrow_hours > p_max_borrow_hours THEN
            outcome := 'borrow_too_long';
            RETURN;
        END IF;
        expires_at := least(p_now + p_borrow_hours * interval '1 hour', p_license_expires_at);
    ELSE
        expires_at := coditect_session_expiry(p_ttl_seconds, p_license_expires_at, p_now);
    END IF;
    IF p_same_id IS NOT NULL AND p_same_status = 'active' AND p_now < p_same_expires_at THEN
        IF p_borrow_hours IS NULL THEN
            expires_at := coditect_refreshed_expiry(p_ttl_seconds, p_license_expires_at,
                p_same_borrowed, p_same_expires_at, p_now);
        END IF;
        outcome := 'resume';
        resume_id := p_same_id;
        RETURN;
    END IF;
    IF p_live + p_ahead >= p_seats_total THEN
        outcome := 'no_seats_available';
        expires_at := NULL;
        RETURN;
    END IF;
    outcome := 'create';
END $$;

-- seats::decide_heartbeat. outcome: 'ok' (with the new expiry), 'session_expired',
-- 'session_released', 'session_force_released', 'license_suspended' or 'license_expired'.
CREATE FUNCTION coditect_decide_heartbeat(
    p_status text, p_end_reason text, p_session_expires_at timestamptz, p_borrowed boolean,
    p_is_active boolean, p_license_expires_at timestamptz, p_ttl_seconds bigint,
    p_now timestamptz, OUT outcome text, OUT expires_at timestamptz)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    state text;
BEGIN
    IF NOT (p_status = 'active' AND p_now < p_session_expires_at) THEN
        outcome := CASE WHEN p_status <> 'released' THEN 'session_expired'
                        WHEN p_end_reason = 'forced' THEN 'session_force_released'
                        ELSE 'session_released' END;
        RETURN;
    END IF;
    state := coditect_license_state(p_is_active, p_license_expires_at, p_now);
    IF state <> 'valid' THEN
        outcome := state;
        RETURN;
    END IF;
    outcome := 'ok';
    expires_at := coditect_refreshed_expiry(p_ttl_seconds, p_license_expires_at, p_borrowed,
        p_session_expires_at, p_now);
END $$;

-- seats::decide_release: 'release', or the status of a session already over
-- ('released' or 'expired', as Session::effective reports it).
CREATE FUNCTION coditect_decide_release(p_status text, p_session_expires_at timestamptz,
    p_now timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_status = 'active' AND p_now < p_session_expires_at THEN 'release'
                WHEN p_status = 'active' THEN 'expired'
                ELSE p_status END
$$;

-- Live sessions of a license at p_now.
CREATE FUNCTION coditect_live_seats(p_tenant_id uuid, p_license_id uuid, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FROM sessions WHERE tenant_id = p_tenant_id
        AND license_id = p_license_id AND status = 'active' AND expires_at > p_now);
END $$;

-- A license by key with its live-session count and the database clock (validate).
CREATE FUNCTION coditect_license_by_key(p_key_hash text,
    OUT license licenses, OUT seats_used bigint, OUT db_now timestamptz)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coditect_scope_to_key(p_key_hash);
    SELECT l.* INTO license FROM licenses l
        WHERE l.tenant_id = coditect_tenant() AND l.key_hash = p_key_hash;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    db_now := clock_timestamp();
    seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
    RETURN NEXT;
END $$;

-- Takes or resumes a seat (or borrows one). outcome: 'created', 'resumed', a refusal's
-- contract code (see coditect_decide_acquire; also 'license_not_found'), or 'reclaim':
-- sessions of the license are marked active but past their expiry (after a reclaim, only
-- this hardware's counts), and must be marked expired and audited (by the caller, in a
-- transaction of its own, as the reaper does) before the acquire is decided; nothing was
-- written then. A 'no_seats_available' refusal still writes: the
-- queued acquire's place (p_waiter), or a denial in the usage history.
CREATE FUNCTION coditect_acquire(p_key_hash text, p_hardware_id text, p_user_email text,
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
            INSERT INTO seat_waiters (id, tenant_id, license_id, enqueued_at, expires_at)
                VALUES (p_waiter, license.tenant_id, license.id, db_now,
                        db_now + p_waiter_ttl_seconds * interval '1 second')
                ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at;
        ELSE
            INSERT INTO usage_denials (id, tenant_id, license_id, at)
                VALUES (p_denial_id, license.tenant_id, license.id, db_now);
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

-- The license of the session under this key, its row locked FOR KEY SHARE (many
-- heartbeats and releases at once, none while an acquire holds the license); NULL when the
-- key or the session is unknown, or the session is not the key's.
CREATE FUNCTION coditect_license_of_session(p_key_hash text, p_session_id uuid)
RETURNS licenses LANGUAGE plpgsql AS $$
DECLARE
    license licenses;
BEGIN
    PERFORM coditect_scope_to_key(p_key_hash);
    SELECT l.* INTO license FROM licenses l
        JOIN sessions s ON s.tenant_id = l.tenant_id AND s.license_id = l.id
        WHERE l.tenant_id = coditect_tenant() AND l.key_hash = p_key_hash AND s.id = p_session_id
        FOR KEY SHARE OF l;
    RETURN license;
END $$;

-- Finds the session under this key and locks, in this order, its license row
-- (coditect_license_of_session) and the session row (FOR UPDATE); then reads the clock
-- and the live-seat count.
CREATE FUNCTION coditect_lock_session(p_key_hash text, p_session_id uuid,
    OUT license licenses, OUT session sessions, OUT seats_used bigint, OUT db_now timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    license := coditect_license_of_session(p_key_hash, p_session_id);
    IF license.id IS NULL THEN
        RETURN;
    END IF;
    SELECT s.* INTO session FROM sessions s
        WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id FOR UPDATE;
    db_now := clock_timestamp();
    seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
END $$;

-- Extends a live session. outcome: 'ok', 'session_not_found', or a refusal of
-- coditect_decide_heartbeat. The common case is one UPDATE that locks, decides (in its
-- WHERE, re-checked on the newest row version if a concurrent change got there first) and
-- writes; only a refusal reads the session again, under its lock, to say why.
CREATE FUNCTION coditect_heartbeat(p_key_hash text, p_session_id uuid,
    OUT outcome text, OUT seats_used bigint, OUT db_now timestamptz,
    OUT license licenses, OUT session sessions)
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    license := coditect_license_of_session(p_key_hash, p_session_id);
    IF license.id IS NULL THEN
        outcome := 'session_not_found';
        RETURN;
    END IF;
    db_now := clock_timestamp();
    UPDATE sessions s SET last_heartbeat_at = db_now,
        expires_at = (coditect_decide_heartbeat(s.status, s.end_reason, s.expires_at,
            s.borrowed, license.is_active, license.expires_at, license.heartbeat_ttl_seconds,
            db_now)).expires_at
        WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id
        AND (coditect_decide_heartbeat(s.status, s.end_reason, s.expires_at, s.borrowed,
            license.is_active, license.expires_at, license.heartbeat_ttl_seconds,
            db_now)).outcome = 'ok'
        RETURNING s.* INTO session;
    IF FOUND THEN
        outcome := 'ok';
        -- The session was live at db_now and stays live.
        seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
        RETURN;
    END IF;
    -- Refused: decided again under the session's lock (it may have changed in between).
    SELECT s.* INTO session FROM sessions s
        WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id FOR UPDATE;
    d := coditect_decide_heartbeat(session.status, session.end_reason, session.expires_at,
        session.borrowed, license.is_active, license.expires_at,
        license.heartbeat_ttl_seconds, db_now);
    outcome := d.outcome;
    IF d.outcome = 'ok' THEN
        UPDATE sessions s SET expires_at = d.expires_at, last_heartbeat_at = db_now
            WHERE s.tenant_id = license.tenant_id AND s.id = p_session_id
            RETURNING s.* INTO session;
        seats_used := coditect_live_seats(license.tenant_id, license.id, db_now);
    END IF;
END $$;

-- Ends a session by its client; idempotent. outcome: 'released' (this call ended it),
-- 'already_released' or 'already_expired' (nothing changed), or 'session_not_found'.
CREATE FUNCTION coditect_release(p_key_hash text, p_session_id uuid,
    OUT outcome text, OUT license_id uuid, OUT db_now timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    locked record;
    license licenses;
    session sessions;
    d text;
BEGIN
    locked := coditect_lock_session(p_key_hash, p_session_id);
    license := locked.license;
    session := locked.session;
    db_now := locked.db_now;
    IF license.id IS NULL THEN
        outcome := 'session_not_found';
        RETURN;
    END IF;
    license_id := license.id;
    d := coditect_decide_release(session.status, session.expires_at, db_now);
    IF d <> 'release' THEN
        outcome := 'already_' || d;
        RETURN;
    END IF;
    UPDATE sessions SET status = 'released', end_reason = 'released', ended_at = db_now
        WHERE tenant_id = license.tenant_id AND id = p_session_id;
    outcome := 'released';
END $$;
