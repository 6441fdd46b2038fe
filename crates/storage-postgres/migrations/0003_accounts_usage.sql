-- Dashboard people (users, memberships, sessions, one-time tokens), the mail outbox and
-- usage history. Times are timestamptz; ids UUIDv7.
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    is_staff       boolean NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- id_hash: SHA-256 of the cookie's secret; the secret itself is never stored.
CREATE TABLE web_sessions (
    id_hash              text PRIMARY KEY,
    user_id              uuid NOT NULL REFERENCES users (id),
    created_at           timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    idle_expires_at      timestamptz NOT NULL,
    absolute_expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, id);

CREATE TABLE password_resets (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE mail_outbox (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    recipient        text NOT NULL,
    subject          text NOT NULL,
    body_sealed      text NOT NULL,
    created_at       timestamptz NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    failed_at        timestamptz,
    last_error       text
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- One row per license and sample slot (`at` is the slot start), whichever process wrote it.
CREATE TABLE usage_samples (
    license_id  uuid NOT NULL,
    at          timestamptz NOT NULL,
    tenant_id   uuid NOT NULL,
    seats_used  bigint NOT NULL,
    PRIMARY KEY (license_id, at)
);
CREATE INDEX usage_samples_by_tenant ON usage_samples (tenant_id, at);
CREATE INDEX usage_samples_by_time ON usage_samples (at);

CREATE TABLE usage_denials (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    license_id  uuid NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX usage_denials_by_tenant ON usage_denials (tenant_id, at);
CREATE INDEX usage_denials_by_license ON usage_denials (license_id, at);
CREATE INDEX usage_denials_by_time ON usage_denials (at);

-- The sampler finds licenses whose sessions ended since its last pass.
CREATE INDEX sessions_by_ended_at ON sessions (ended_at) WHERE ended_at IS NOT NULL;
