-- Times are microseconds since the Unix epoch (UTC); ids are 16-byte UUID blobs, whose
-- byte order is creation order for UUIDv7.
CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB REFERENCES tenants(id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('superadmin', 'admin', 'read_only')),
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, id);

CREATE TABLE licenses (
    id                     BLOB PRIMARY KEY,
    tenant_id              BLOB NOT NULL REFERENCES tenants(id),
    name                   TEXT,
    key_sealed             TEXT NOT NULL,
    key_hash               TEXT NOT NULL UNIQUE,
    key_hint               TEXT NOT NULL,
    seats_total            INTEGER NOT NULL CHECK (seats_total >= 1),
    expires_at             INTEGER,
    heartbeat_ttl_seconds  INTEGER NOT NULL CHECK (heartbeat_ttl_seconds >= 1),
    entitlements           TEXT NOT NULL,
    metadata               TEXT NOT NULL,
    is_active              INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX licenses_by_tenant ON licenses (tenant_id, id);

CREATE TABLE sessions (
    id                 BLOB PRIMARY KEY,
    tenant_id          BLOB NOT NULL REFERENCES tenants(id),
    license_id         BLOB NOT NULL REFERENCES licenses(id),
    hardware_id        TEXT NOT NULL,
    user_email         TEXT,
    client             TEXT,
    status             TEXT NOT NULL CHECK (status IN ('active', 'released', 'expired')),
    end_reason         TEXT,
    created_at         INTEGER NOT NULL,
    last_heartbeat_at  INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    ended_at           INTEGER
);
CREATE INDEX sessions_by_license ON sessions (license_id, id);
CREATE INDEX sessions_active_by_license ON sessions (license_id, expires_at) WHERE status = 'active';
-- Defence in depth for the one-seat-per-hardware rule the acquire transaction enforces.
CREATE UNIQUE INDEX sessions_one_active_per_hardware ON sessions (license_id, hardware_id) WHERE status = 'active';
CREATE INDEX sessions_due ON sessions (expires_at) WHERE status = 'active';

CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL,
    at           INTEGER NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     BLOB,
    actor_name   TEXT,
    action       TEXT NOT NULL,
    resource     TEXT NOT NULL,
    resource_id  BLOB NOT NULL,
    before       TEXT,
    after        TEXT
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);

CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    alg             TEXT NOT NULL,
    private_sealed  TEXT NOT NULL,
    public_jwk      TEXT NOT NULL,
    is_current      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    retain_until    INTEGER
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (is_current) WHERE is_current = 1;
