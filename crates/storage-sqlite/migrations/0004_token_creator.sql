-- The person a tenant token was made by (directly, or through another token of theirs).
-- Such a token never does more than that person may: it acts with the lesser of its own
-- role and the person's current membership role, and stops working when they leave.
ALTER TABLE api_tokens ADD COLUMN created_by_user_id BLOB REFERENCES users(id);
