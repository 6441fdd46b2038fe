-- Staff administration of accounts: a user may be deactivated (no sign-in, sessions and
-- tokens stop), and what staff do to accounts is kept in an account log of its own
-- (accounts belong to no tenant, so it is not a tenant's audit_log).
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;

-- Who made each token (any signed-in person, staff or member; or, through a token, the
-- person behind that token), so deactivating them stops it. `created_by_user_id` stays
-- the member whose membership bounds the token, which staff-made tokens have none of.
ALTER TABLE api_tokens ADD COLUMN made_by_user_id uuid REFERENCES users (id);
UPDATE api_tokens SET made_by_user_id = created_by_user_id;

CREATE TABLE account_audit (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    action      text NOT NULL,
    actor_type  text NOT NULL,
    actor_id    uuid,
    actor_name  text,
    before      text,
    after       text,
    created_at  timestamptz NOT NULL
);
CREATE INDEX account_audit_by_user ON account_audit (user_id, id);
