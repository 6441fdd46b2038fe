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
-- The live count and the dead-seat check read a license's active sessions through the
-- unique `sessions_one_active_per_hardware` index, whose prefix is the license, and check
-- `expires_at` on the row: the row is read anyway, so the index without `expires_at` costs
-- them nothing, and `sessions_active_by_license` (the same rows under the same prefix) goes.
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
