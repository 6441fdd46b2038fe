//! The audit trail: who changed what, with the state before and after.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// The kind of actor behind an audited change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    /// A superadmin token.
    Superadmin,
    /// A tenant token.
    Token,
    /// The server itself: `name` says which part (`reaper`, `stripe`, `trials`).
    System,
    /// A person signed in to the dashboard (`id` is the user id, `name` the e-mail).
    User,
    /// A JWT of a tenant's trusted issuer (`id` is the trusted issuer's id, `name` the
    /// JWT's `sub`).
    Jwt,
}

impl ActorType {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Superadmin => "superadmin",
            ActorType::Token => "token",
            ActorType::System => "system",
            ActorType::User => "user",
            ActorType::Jwt => "jwt",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "superadmin" => Some(Self::Superadmin),
            "token" => Some(Self::Token),
            "system" => Some(Self::System),
            "user" => Some(Self::User),
            "jwt" => Some(Self::Jwt),
            _ => None,
        }
    }
}

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Actor {
    /// Kind of actor.
    #[serde(rename = "type")]
    pub actor_type: ActorType,
    /// The stored token's id, or the user's for `User`; `None` for the bootstrap token
    /// and the reaper.
    pub id: Option<Uuid>,
    /// The token's name, the user's e-mail, `"bootstrap"` or `"reaper"`.
    pub name: Option<String>,
}

impl Actor {
    /// The server's own reaper.
    pub fn reaper() -> Self {
        Self {
            actor_type: ActorType::System,
            id: None,
            name: Some("reaper".into()),
        }
    }

    /// Stripe, through its webhook: every change a billing event makes.
    pub fn stripe() -> Self {
        Self {
            actor_type: ActorType::System,
            id: None,
            name: Some("stripe".into()),
        }
    }

    /// The self-service trial endpoint, which no one signs in to.
    pub fn trials() -> Self {
        Self {
            actor_type: ActorType::System,
            id: None,
            name: Some("trials".into()),
        }
    }

    /// A person acting on their own behalf (accepting an invitation): their id and e-mail.
    pub fn user(user: &crate::User) -> Self {
        Self {
            actor_type: ActorType::User,
            id: Some(user.id),
            name: Some(user.email.clone()),
        }
    }
}

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    /// `tenant.create`
    #[serde(rename = "tenant.create")]
    TenantCreate,
    /// `tenant.update` (billing: its Stripe customer or billing e-mail)
    #[serde(rename = "tenant.update")]
    TenantUpdate,
    /// `token.create`
    #[serde(rename = "token.create")]
    TokenCreate,
    /// `token.revoke`
    #[serde(rename = "token.revoke")]
    TokenRevoke,
    /// `license.create`
    #[serde(rename = "license.create")]
    LicenseCreate,
    /// `license.update`
    #[serde(rename = "license.update")]
    LicenseUpdate,
    /// `license.key_reissue`: a new key; the old one admits no new seat.
    #[serde(rename = "license.key_reissue")]
    LicenseKeyReissue,
    /// `session.force_release`
    #[serde(rename = "session.force_release")]
    SessionForceRelease,
    /// `session.expire`
    #[serde(rename = "session.expire")]
    SessionExpire,
    /// `invitation.create`
    #[serde(rename = "invitation.create")]
    InvitationCreate,
    /// `invitation.revoke` (its link stops working)
    #[serde(rename = "invitation.revoke")]
    InvitationRevoke,
    /// `member.add` (an invitation was accepted)
    #[serde(rename = "member.add")]
    MemberAdd,
    /// `member.update` (role changed)
    #[serde(rename = "member.update")]
    MemberUpdate,
    /// `member.remove`
    #[serde(rename = "member.remove")]
    MemberRemove,
}

impl AuditAction {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantCreate => "tenant.create",
            Self::TenantUpdate => "tenant.update",
            Self::TokenCreate => "token.create",
            Self::TokenRevoke => "token.revoke",
            Self::LicenseCreate => "license.create",
            Self::LicenseUpdate => "license.update",
            Self::LicenseKeyReissue => "license.key_reissue",
            Self::SessionForceRelease => "session.force_release",
            Self::SessionExpire => "session.expire",
            Self::InvitationCreate => "invitation.create",
            Self::InvitationRevoke => "invitation.revoke",
            Self::MemberAdd => "member.add",
            Self::MemberUpdate => "member.update",
            Self::MemberRemove => "member.remove",
        }
    }
    /// The resource kind the action is on.
    pub fn resource(self) -> &'static str {
        match self {
            Self::TenantCreate | Self::TenantUpdate => "tenant",
            Self::TokenCreate | Self::TokenRevoke => "token",
            Self::LicenseCreate | Self::LicenseUpdate | Self::LicenseKeyReissue => "license",
            Self::SessionForceRelease | Self::SessionExpire => "session",
            Self::InvitationCreate | Self::InvitationRevoke => "invitation",
            Self::MemberAdd | Self::MemberUpdate | Self::MemberRemove => "member",
        }
    }
}

/// An audit entry to write, in the same transaction as the change it records.
#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    /// Tenant whose log it goes in.
    pub tenant_id: Uuid,
    /// Who made the change.
    pub actor: Actor,
    /// What was done; it also fixes the entry's resource kind.
    pub action: AuditAction,
    /// Id of the changed resource.
    pub resource_id: Uuid,
    /// State before; `None` on create.
    pub before: Option<Value>,
    /// State after; `None` when the resource was removed.
    pub after: Option<Value>,
}

/// A recorded audit entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Entry id (time-ordered).
    pub id: Uuid,
    /// The tenant whose log holds it; not serialized, as the log is read per tenant.
    #[serde(skip)]
    pub tenant_id: Uuid,
    /// When the change was made (recorded in the change's own transaction).
    pub at: DateTime<Utc>,
    /// Who made the change.
    pub actor: Actor,
    /// What, as its wire name.
    pub action: String,
    /// Kind of resource.
    pub resource: String,
    /// Resource id.
    pub resource_id: Uuid,
    /// The resource before the change; `None` on create.
    pub before: Option<Value>,
    /// The resource after the change; `None` when it was removed.
    pub after: Option<Value>,
}

/// Which entries an audit listing shows (all `None`: every entry of the tenant). The
/// stores apply it in SQL, before paging, so every page is full and the cursor right.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    /// A case-insensitive substring of the actor's name (a user's e-mail, a token's name,
    /// `reaper`, …).
    pub actor: Option<String>,
    /// Only entries about this kind of resource (`license`, `session`, `token`, …).
    pub resource: Option<String>,
    /// Only entries about this one resource.
    pub resource_id: Option<Uuid>,
    /// Only entries of this action (`license.update`, …).
    pub action: Option<String>,
    /// Only entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this time.
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// The `actor` filter as a SQL `LIKE` pattern on lower-cased text, with `%`, `_` and
    /// `\` escaped (use `ESCAPE '\'`).
    pub fn actor_pattern(&self) -> Option<String> {
        self.actor.as_ref().map(|a| {
            let mut p = String::from("%");
            for c in a.to_lowercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        })
    }
}

#[cfg(test)]
mod filter_tests {
    use super::AuditFilter;

    #[test]
    fn the_actor_pattern_escapes_like_wildcards() {
        let f = AuditFilter {
            actor: Some("Ana_100%".into()),
            ..AuditFilter::default()
        };
        assert_eq!(f.actor_pattern().as_deref(), Some("%ana\\_100\\%%"));
        assert_eq!(AuditFilter::default().actor_pattern(), None);
    }
}
