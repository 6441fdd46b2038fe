-- Seat queuing (acquire with wait_seconds) and borrowing for offline use.

-- The longest borrow a license allows, in hours; 0 disables borrowing.
ALTER TABLE licenses ADD COLUMN max_borrow_hours bigint NOT NULL DEFAULT 0
    CHECK (max_borrow_hours >= 0);

-- A borrowed session is live until its expires_at without heartbeats.
ALTER TABLE sessions ADD COLUMN borrowed boolean NOT NULL DEFAULT false;

-- Acquires waiting for a seat, first come first served per license, shared by every server
-- process on the database. Places are taken and checked only under the license row's
-- FOR UPDATE lock; a row past expires_at belongs to a request that went away.
CREATE TABLE seat_waiters (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    license_id   uuid NOT NULL,
    enqueued_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id)
);
CREATE INDEX seat_waiters_by_license ON seat_waiters (license_id, enqueued_at, id);
