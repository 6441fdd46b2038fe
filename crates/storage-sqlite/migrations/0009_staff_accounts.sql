-- Staff administration of accounts: a user may be deactivated (no sign-in, sessions and
-- tokens stop), and what staff do to accounts is kept in an account log of its own
-- (accounts belong to no tenant, so it is not a tenant's audit_log).
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

-- Who made each token (any signed-in person, staff or member; or, through a token, the
-- person behind that token), so deactivating them stops it. `created_by_user_id` stays
-- the member whose membership bounds the token, which staff-made tokens have none of.
ALTER TABLE api_tokens ADD COLUMN made_by_user_id BLOB REFERENCES users (id);
UPDATE api_tokens SET made_by_user_id = created_by_user_id;

CREATE TABLE account_audit (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    action      TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    BLOB,
    actor_name  TEXT,
    before      TEXT,
    after       TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX account_audit_by_user ON account_audit (user_id, id);
