-- Dashboard people (users, memberships, sessions, one-time tokens), the mail outbox and
-- usage history. Times are microseconds since the epoch; ids 16-byte UUID blobs.
CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    is_staff       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE memberships (
    tenant_id   BLOB NOT NULL REFERENCES tenants(id),
    user_id     BLOB NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- id_hash: SHA-256 of the cookie's secret; the secret itself is never stored.
CREATE TABLE web_sessions (
    id_hash              TEXT PRIMARY KEY,
    user_id              BLOB NOT NULL REFERENCES users(id),
    created_at           INTEGER NOT NULL,
    last_seen_at         INTEGER NOT NULL,
    idle_expires_at      INTEGER NOT NULL,
    absolute_expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

CREATE TABLE invitations (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL REFERENCES tenants(id),
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    accepted_by  BLOB
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, id);

CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE mail_outbox (
    id               BLOB PRIMARY KEY,
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_sealed      TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    sent_at          INTEGER,
    failed_at        INTEGER,
    last_error       TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- One row per license and sample slot (`at` is the slot start), whichever process wrote it.
CREATE TABLE usage_samples (
    license_id  BLOB NOT NULL,
    at          INTEGER NOT NULL,
    tenant_id   BLOB NOT NULL,
    seats_used  INTEGER NOT NULL,
    PRIMARY KEY (license_id, at)
);
CREATE INDEX usage_samples_by_tenant ON usage_samples (tenant_id, at);
CREATE INDEX usage_samples_by_time ON usage_samples (at);

CREATE TABLE usage_denials (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL,
    license_id  BLOB NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX usage_denials_by_tenant ON usage_denials (tenant_id, at);
CREATE INDEX usage_denials_by_license ON usage_denials (license_id, at);
CREATE INDEX usage_denials_by_time ON usage_denials (at);

-- The sampler finds licenses whose sessions ended since its last pass.
CREATE INDEX sessions_by_ended_at ON sessions (ended_at) WHERE ended_at IS NOT NULL;
