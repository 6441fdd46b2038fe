-- Identity (issue 11): single sign-on flows, tenants that require SSO, TOTP second
-- factors with recovery codes, and issuers whose JWTs a tenant trusts. Times are
-- microseconds since the epoch.

ALTER TABLE tenants ADD COLUMN sso_required INTEGER NOT NULL DEFAULT 0;
-- Kept with the user row (set and cleared with user_totp in one transaction) so every
-- read of a user knows it without a join.
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;

-- A sign-in started at a provider and not yet finished. state_hash: SHA-256 of the
-- `state` sent to the provider; browser_hash: SHA-256 of the secret in the browser's flow
-- cookie (the flow finishes only in the browser that started it); used once.
CREATE TABLE sso_flows (
    state_hash        TEXT PRIMARY KEY,
    browser_hash      TEXT NOT NULL,
    provider_id       TEXT NOT NULL,
    nonce             TEXT NOT NULL,
    verifier_sealed   TEXT NOT NULL,
    return_to         TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    used_at           INTEGER
);
CREATE INDEX sso_flows_by_expiry ON sso_flows (expires_at);

-- A password sign-in waiting for its second factor (or for TOTP enrolment, when staff
-- must use it): token_hash is SHA-256 of the challenge handed to the browser.
CREATE TABLE sign_in_challenges (
    token_hash  TEXT PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- A self-service sign-up waiting for its e-mail to be verified (token_hash: SHA-256 of
-- the mailed link's token). The account and its tenant are made when the link is used.
CREATE TABLE signups (
    token_hash     TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    organisation   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
CREATE INDEX signups_by_expiry ON signups (expires_at);

-- last_step: the newest RFC 6238 time step accepted, so a code is never accepted twice.
CREATE TABLE user_totp (
    user_id        BLOB PRIMARY KEY REFERENCES users(id),
    secret_sealed  TEXT NOT NULL,
    confirmed_at   INTEGER,
    last_step      INTEGER NOT NULL DEFAULT -1,
    created_at     INTEGER NOT NULL
);

-- code_hash: SHA-256 of a recovery code (each is 50 random bits, used once).
CREATE TABLE recovery_codes (
    user_id    BLOB NOT NULL REFERENCES users(id),
    code_hash  TEXT NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE trusted_issuers (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants(id),
    issuer      TEXT NOT NULL,
    jwks_url    TEXT NOT NULL,
    audience    TEXT NOT NULL,
    role_claim  TEXT NOT NULL,
    roles       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (issuer, audience)
);
CREATE INDEX trusted_issuers_by_tenant ON trusted_issuers (tenant_id, id);
