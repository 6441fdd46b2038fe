-- PostgreSQL schema: native uuid, timestamptz (microseconds), jsonb, boolean and bigint.
-- Ids are UUIDv7, whose byte order (uuid comparison) is creation order, so keyset
-- pagination on `id` lists oldest first.
--
-- Every tenant-owned table carries tenant_id, and references between tenant-owned tables
-- include it, so the tables can later be distributed (Citus-style) by tenant_id.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);

-- tenant_id is NULL for superadmin tokens.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    tenant_id    uuid REFERENCES tenants (id),
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('superadmin', 'admin', 'read_only')),
    secret_hash  text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, id);

CREATE TABLE licenses (
    id                     uuid PRIMARY KEY,
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    name                   text,
    key_sealed             text NOT NULL,
    key_hash               text NOT NULL UNIQUE,
    key_hint               text NOT NULL,
    seats_total            bigint NOT NULL CHECK (seats_total >= 1),
    expires_at             timestamptz,
    heartbeat_ttl_seconds  bigint NOT NULL CHECK (heartbeat_ttl_seconds >= 1),
    entitlements           jsonb NOT NULL,
    metadata               jsonb NOT NULL,
    is_active              boolean NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
-- Listing by tenant, and the target of the sessions' tenant-scoped foreign key.
CREATE UNIQUE INDEX licenses_by_tenant ON licenses (tenant_id, id);

CREATE TABLE sessions (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    license_id         uuid NOT NULL,
    hardware_id        text NOT NULL,
    user_email         text,
    client             jsonb,
    status             text NOT NULL CHECK (status IN ('active', 'released', 'expired')),
    end_reason         text CHECK (end_reason IN ('released', 'forced', 'expired')),
    created_at         timestamptz NOT NULL,
    last_heartbeat_at  timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id)
);
CREATE INDEX sessions_by_license ON sessions (license_id, id);
CREATE INDEX sessions_active_by_license ON sessions (license_id, expires_at) WHERE status = 'active';
-- Defence in depth for the one-seat-per-hardware rule the acquire transaction enforces.
CREATE UNIQUE INDEX sessions_one_active_per_hardware ON sessions (license_id, hardware_id) WHERE status = 'active';
CREATE INDEX sessions_due ON sessions (expires_at) WHERE status = 'active';

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    at           timestamptz NOT NULL,
    actor_type   text NOT NULL,
    actor_id     uuid,
    actor_name   text,
    action       text NOT NULL,
    resource     text NOT NULL,
    resource_id  uuid NOT NULL,
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);

CREATE TABLE signing_keys (
    kid             text PRIMARY KEY,
    alg             text NOT NULL,
    private_sealed  text NOT NULL,
    public_jwk      jsonb NOT NULL,
    is_current      boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    retain_until    timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (is_current) WHERE is_current;
