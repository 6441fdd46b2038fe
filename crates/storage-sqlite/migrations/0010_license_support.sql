-- The dashboard's one search box finds a license by a hardware id or user e-mail any of
-- its sessions ever had (issue 15): these make those exact lookups index probes per
-- license instead of scans of its session history.
CREATE INDEX sessions_by_hardware ON sessions (license_id, hardware_id);
CREATE INDEX sessions_by_email ON sessions (license_id, lower(user_email))
    WHERE user_email IS NOT NULL;

-- Keys a license had before a reissue (issue 15): they admit no new seat, but the seats
-- they gave heartbeat and release with them until they end.
CREATE TABLE retired_license_keys (
    key_hash    TEXT PRIMARY KEY,
    tenant_id   BLOB NOT NULL,
    license_id  BLOB NOT NULL REFERENCES licenses(id),
    retired_at  INTEGER NOT NULL
);
CREATE INDEX retired_license_keys_by_license ON retired_license_keys (license_id);

-- Archived licenses (issue 15): out of the default listings and suspended.
ALTER TABLE licenses ADD COLUMN archived_at INTEGER;

-- Denials name who was refused (issue 15): the hardware id and e-mail of the refused
-- acquire, so a vendor sees which machines hit the seat limit (the upsell). A queued
-- acquire's place keeps them too, for the denial recorded when its wait runs out.
ALTER TABLE usage_denials ADD COLUMN hardware_id TEXT;
ALTER TABLE usage_denials ADD COLUMN user_email TEXT;
ALTER TABLE seat_waiters ADD COLUMN hardware_id TEXT;
ALTER TABLE seat_waiters ADD COLUMN user_email TEXT;
CREATE INDEX usage_denials_by_tenant_id ON usage_denials (tenant_id, id);
