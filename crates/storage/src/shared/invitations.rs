//! Invitation statements both backends run as they are: the tenant's list, one
//! invitation, revocation, and the replacement of older live invitations to an address.

use coditect_domain::invitation::InvitationState;

/// Marks every live (not accepted, not revoked) invitation of `$3` tenant to `$4` address,
/// other than the new one `$2`, as replaced by `$2` at `$1`: their links stop working.
/// Returns the replaced rows, each audited as revoked.
pub const REPLACE_LIVE: &str = "UPDATE invitations SET revoked_at = $1, replaced_by = $2 \
     WHERE tenant_id = $3 AND email = $4 AND id <> $2 \
     AND accepted_at IS NULL AND revoked_at IS NULL RETURNING *";

/// One invitation of a tenant: `$1` tenant, `$2` id.
pub const BY_ID: &str = "SELECT * FROM invitations WHERE tenant_id = $1 AND id = $2";

/// One invitation by the hash of its link's token: `$1` hash.
pub const BY_TOKEN: &str = "SELECT * FROM invitations WHERE token_hash = $1";

/// Revokes a live invitation: `$1` now, `$2` tenant, `$3` id; no row when it was accepted,
/// revoked or replaced already.
pub const REVOKE: &str = "UPDATE invitations SET revoked_at = $1 \
     WHERE tenant_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL \
     RETURNING *";

/// A page of a tenant's invitations, newest first: `$1` tenant, `$2` the cursor or NULL,
/// `$3` the page size, `$4` now (for the state filter).
pub fn list(state: Option<InvitationState>) -> String {
    format!(
        "SELECT * FROM invitations WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) \
         AND $4 = $4 AND {} ORDER BY id DESC LIMIT $3",
        state_condition(state)
    )
}

/// The SQL form of [`coditect_domain::invitation::invitation_state`], for filtering a
/// listing by state (`$4` is now).
fn state_condition(state: Option<InvitationState>) -> &'static str {
    match state {
        None => "TRUE",
        Some(InvitationState::Accepted) => "accepted_at IS NOT NULL",
        Some(InvitationState::Replaced) => "accepted_at IS NULL AND replaced_by IS NOT NULL",
        Some(InvitationState::Revoked) => {
            "accepted_at IS NULL AND revoked_at IS NOT NULL AND replaced_by IS NULL"
        }
        Some(InvitationState::Expired) => {
            "accepted_at IS NULL AND revoked_at IS NULL AND expires_at <= $4"
        }
        Some(InvitationState::Pending) => {
            "accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $4"
        }
    }
}
