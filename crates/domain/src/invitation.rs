//! Where an invitation stands (pending, accepted, expired, revoked or replaced by a
//! newer one), decided here once so that both storage backends, the tenant's list and the
//! public lookup of a link all say the same thing.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::{Actor, AuditAction, Invitation, NewAuditEntry};

/// The state of an invitation at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationState {
    /// The link works: not accepted, revoked, replaced or expired.
    Pending,
    /// Used: the invitee joined the tenant.
    Accepted,
    /// Never used, and its 7 days are over.
    Expired,
    /// Revoked by an owner or admin.
    Revoked,
    /// Superseded by a newer invitation to the same address (a resend or a second invite).
    Replaced,
}

impl InvitationState {
    /// Every state, in the order the dashboard lists them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Accepted,
        Self::Expired,
        Self::Revoked,
        Self::Replaced,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Replaced => "replaced",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Decides an invitation's state at `now`. Acceptance wins over everything (it happened),
/// then an explicit revocation or replacement, then expiry.
pub fn invitation_state(
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    replaced_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> InvitationState {
    match (accepted_at, revoked_at, replaced_by) {
        (Some(_), _, _) => InvitationState::Accepted,
        (None, Some(_), Some(_)) => InvitationState::Replaced,
        (None, Some(_), None) => InvitationState::Revoked,
        (None, None, _) if now >= expires_at => InvitationState::Expired,
        (None, None, _) => InvitationState::Pending,
    }
}

impl NewAuditEntry {
    /// `invitation.revoke` of a live invitation that a newer one to the same address
    /// (`by`) replaced: its link stopped working without anyone revoking it by hand, so
    /// the log still says when and why.
    pub fn invitation_replaced(actor: &Actor, inv: &Invitation, by: Uuid) -> Self {
        let before = json!({"email": inv.email, "role": inv.role.as_str(), "state": "pending"});
        let after = json!({"email": inv.email, "role": inv.role.as_str(), "state": "replaced",
            "replaced_by": by});
        Self {
            tenant_id: inv.tenant_id,
            actor: actor.clone(),
            action: AuditAction::InvitationRevoke,
            resource_id: inv.id,
            before: Some(before),
            after: Some(after),
        }
    }

    /// `invitation.revoke`: `inv`'s link stopped working by `actor`'s hand.
    pub fn invitation_revoked(actor: &Actor, inv: &Invitation) -> Self {
        let before = json!({"email": inv.email, "role": inv.role.as_str(), "state": "pending"});
        let after = json!({"email": inv.email, "role": inv.role.as_str(), "state": "revoked"});
        Self {
            tenant_id: inv.tenant_id,
            actor: actor.clone(),
            action: AuditAction::InvitationRevoke,
            resource_id: inv.id,
            before: Some(before),
            after: Some(after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn acceptance_then_revocation_then_expiry_decide_the_state() {
        let now = Utc::now();
        let later = now + Duration::days(1);
        let earlier = now - Duration::days(1);
        let id = Some(Uuid::nil());
        use InvitationState::*;
        assert_eq!(invitation_state(later, None, None, None, now), Pending);
        assert_eq!(invitation_state(earlier, None, None, None, now), Expired);
        assert_eq!(invitation_state(now, None, None, None, now), Expired);
        assert_eq!(
            invitation_state(later, Some(now), Some(now), None, now),
            Accepted
        );
        assert_eq!(
            invitation_state(earlier, None, Some(now), None, now),
            Revoked
        );
        assert_eq!(invitation_state(later, None, Some(now), id, now), Replaced);
    }

    #[test]
    fn states_round_trip_their_wire_names() {
        for s in InvitationState::ALL {
            assert_eq!(InvitationState::parse(s.as_str()), Some(s));
        }
        assert_eq!(InvitationState::parse("used"), None);
    }
}
