-- Invitations can be revoked, and a newer invitation to the same address in the same
-- tenant replaces the live one (a resend, or inviting again): `revoked_at` says when the
-- link stopped working, `replaced_by` which invitation took its place (NULL: revoked by hand).
ALTER TABLE invitations ADD COLUMN revoked_at INTEGER;
ALTER TABLE invitations ADD COLUMN replaced_by BLOB;
CREATE INDEX invitations_by_tenant_email ON invitations (tenant_id, email);
