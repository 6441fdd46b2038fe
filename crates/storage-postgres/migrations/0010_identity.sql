-- Identity (issue 11): single sign-on flows, tenants that require SSO, TOTP second
-- factors with recovery codes, and issuers whose JWTs a tenant trusts.

ALTER TABLE tenants ADD COLUMN sso_required boolean NOT NULL DEFAULT false;
-- Kept with the user row (set and cleared with user_totp in one transaction) so every
-- read of a user knows it without a join.
ALTER TABLE users ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;

-- A sign-in started at a provider and not yet finished. state_hash: SHA-256 of the
-- `state` sent to the provider; browser_hash: SHA-256 of the secret in the browser's flow
-- cookie (the flow finishes only in the browser that started it); used once.
CREATE TABLE sso_flows (
    state_hash        text PRIMARY KEY,
    browser_hash      text NOT NULL,
    provider_id       text NOT NULL,
    nonce             text NOT NULL,
    verifier_sealed   text NOT NULL,
    return_to         text NOT NULL,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz
);
CREATE INDEX sso_flows_by_expiry ON sso_flows (expires_at);

-- A password sign-in waiting for its second factor (or for TOTP enrolment, when staff
-- must use it): token_hash is SHA-256 of the challenge handed to the browser.
CREATE TABLE sign_in_challenges (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    purpose     text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- A self-service sign-up waiting for its e-mail to be verified (token_hash: SHA-256 of
-- the mailed link's token). The account and its tenant are made when the link is used.
CREATE TABLE signups (
    token_hash     text PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    organisation   text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX signups_by_expiry ON signups (expires_at);

-- last_step: the newest RFC 6238 time step accepted, so a code is never accepted twice.
CREATE TABLE user_totp (
    user_id        uuid PRIMARY KEY REFERENCES users (id),
    secret_sealed  text NOT NULL,
    confirmed_at   timestamptz,
    last_step      bigint NOT NULL DEFAULT -1,
    created_at     timestamptz NOT NULL
);

-- code_hash: SHA-256 of a recovery code (each is 50 random bits, used once).
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE trusted_issuers (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    issuer      text NOT NULL,
    jwks_url    text NOT NULL,
    audience    text NOT NULL,
    role_claim  text NOT NULL,
    roles       jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (issuer, audience)
);
CREATE INDEX trusted_issuers_by_tenant ON trusted_issuers (tenant_id, id);

ALTER TABLE trusted_issuers ENABLE ROW LEVEL SECURITY;
ALTER TABLE trusted_issuers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON trusted_issuers
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON trusted_issuers
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
