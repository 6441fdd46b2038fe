-- Heartbeats as HOT updates (issue 12). A heartbeat writes `expires_at` and
-- `last_heartbeat_at`. `expires_at` was in two indexes (`sessions_due` for the reaper,
-- `sessions_active_by_license` for the live count), so every heartbeat wrote a new entry
-- into every index of `sessions`, eight of them: PostgreSQL can only update a row in place
-- on its page (a heap-only tuple, HOT) when no indexed column changes.
--
-- The reaper now finds dead sessions by `due_at`, a time the session cannot be dead before:
-- never after `expires_at`. A heartbeat only moves `expires_at` later, which keeps that
-- true without touching `due_at`. Where `expires_at` moves earlier (a shorter TTL, a license
-- that ends sooner, a test that backdates it) or a row arrives without one, the trigger
-- below pulls `due_at` back to it, so no writer, in SQL or in Rust, can leave a dead session
-- where the reaper does not look. The reaper re-arms a session it finds due but still live
-- (`due_at` := `expires_at`), about once per TTL for a session that keeps heartbeating,
-- instead of an index write per heartbeat.
--
-- The live count reads a license's active sessions through the unique
-- `sessions_one_active_per_hardware` index, whose prefix is the license, and checks
-- `expires_at` on the row, which it read anyway; `sessions_active_by_license` (the same rows
-- under the same prefix) goes. The acquire's dead-seat check, a probe of that index, is now
-- taken in the same scan as its count (below).
--
-- Pages keep a fifth of their space free for the new row versions of HOT updates; a page
-- filled before this migration gains it when its rows move.

ALTER TABLE sessions ADD COLUMN due_at timestamptz;
UPDATE sessions SET due_at = expires_at WHERE status = 'active';

CREATE FUNCTION coditect_session_due() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_at := NEW.expires_at;
    RETURN NEW;
END $$;

-- The WHEN clause is evaluated without calling the function: a heartbeat that extends a
-- session (the new expiry is later than `due_at`) pays one comparison.
CREATE TRIGGER sessions_due_on_insert BEFORE INSERT ON sessions FOR EACH ROW
    WHEN (NEW.due_at IS NULL OR NEW.due_at > NEW.expires_at)
    EXECUTE FUNCTION coditect_session_due();
CREATE TRIGGER sessions_due_never_after_expiry BEFORE UPDATE OF expires_at, due_at ON sessions
    FOR EACH ROW WHEN (NEW.due_at IS NULL OR NEW.due_at > NEW.expires_at)
    EXECUTE FUNCTION coditect_session_due();

CREATE INDEX sessions_due_at ON sessions (due_at) WHERE status = 'active';
DROP INDEX sessions_due;
DROP INDEX sessions_active_by_license;

ALTER TABLE sessions SET (fillfactor = 80);

-- coditect_acquire of migration 0015, but for one thing: the live count and the dead-seat
-- check are one scan of the license's active sessions. The check was a range probe of
-- `sessions_active_by_license` on `expires_at`; without that index it would be a second
-- scan of the same rows.
CREATE OR REPLACE FUNCTION coditect_acquire(p_key_hash text, p_hardware_id text, p_user_email text,
    p_client jsonb, p_waiter uuid, p_borrow_hours bigint, p_new_id uuid,
    p_waiter_ttl_seconds bigint, p_denial_id uuid, p_reclaimed boolean,
    OUT outcome text, OUT seats_used bigint, OUT waiting bigint, OUT db_now timestamptz,
    OUT license licenses, OUT session sessions)
LANGUAGE plpgsql AS $$
DECLARE
    dead bigint;
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
    SELECT count(*) FILTER (WHERE s.expires_at > db_now),
           count(*) FILTER (WHERE s.expires_at <= db_now)
        INTO seats_used, dead
        FROM sessions s WHERE s.tenant_id = license.tenant_id AND s.license_id = license.id
        AND s.status = 'active';
    IF NOT p_reclaimed AND dead > 0 THEN
        outcome := 'reclaim';
        RETURN;
    END IF;
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
