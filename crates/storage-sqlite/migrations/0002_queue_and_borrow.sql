-- Seat queuing (acquire with wait_seconds) and borrowing for offline use.

-- The longest borrow a license allows, in hours; 0 disables borrowing.
ALTER TABLE licenses ADD COLUMN max_borrow_hours INTEGER NOT NULL DEFAULT 0
    CHECK (max_borrow_hours >= 0);

-- A borrowed session is live until its expires_at without heartbeats.
ALTER TABLE sessions ADD COLUMN borrowed INTEGER NOT NULL DEFAULT 0;

-- Acquires waiting for a seat, first come first served per license. Only touched under the
-- license's write lock; a row past expires_at belongs to a request that went away.
CREATE TABLE seat_waiters (
    id           BLOB PRIMARY KEY,
    license_id   BLOB NOT NULL REFERENCES licenses(id),
    enqueued_at  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX seat_waiters_by_license ON seat_waiters (license_id, enqueued_at, id);
