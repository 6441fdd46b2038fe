//! People who run their licensing from the dashboard: users, their roles per tenant,
//! invitations, and the rules that map a membership onto what a bearer token may do.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::tenant::Role;

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN: usize = 10;
/// Longest accepted password, in characters (bounds the hashing work a request can cause).
pub const PASSWORD_MAX: usize = 200;

/// A person's role in one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Reads only; never sees license keys in full.
    Viewer,
    /// Reads and writes; manages admins and viewers.
    Admin,
    /// Like admin, and may also grant, change or remove owners.
    Owner,
}

/// Whether moving a member from `current` to `new` (`None`: removing them) takes an owner
/// away: only such a change can leave a tenant without one, so only then must the store
/// count the owners.
pub fn takes_an_owner_away(current: MemberRole, new: Option<MemberRole>) -> bool {
    current == MemberRole::Owner && new != Some(MemberRole::Owner)
}

/// The owner rule: a member may go from `current` to `new` (`None`: removed) only if the
/// tenant keeps an owner, given it has `owners` owners now (the store counts them under the
/// lock that the change is made under, and only when [`takes_an_owner_away`]).
pub fn keeps_an_owner(current: MemberRole, new: Option<MemberRole>, owners: i64) -> bool {
    !takes_an_owner_away(current, new) || owners > 1
}

impl MemberRole {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Admin => "admin",
            MemberRole::Viewer => "viewer",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    /// The token role a membership acts as: owners and admins write, viewers read.
    pub fn token_role(self) -> Role {
        match self {
            MemberRole::Owner | MemberRole::Admin => Role::Admin,
            MemberRole::Viewer => Role::ReadOnly,
        }
    }

    /// What a token made by a member of this role may do: the lesser of the token's own
    /// role and this role's, so a token never carries more than the person behind it.
    pub fn bound_token_role(self, token_role: Role) -> Role {
        match (token_role, self.token_role()) {
            (Role::ReadOnly, _) | (_, Role::ReadOnly) => Role::ReadOnly,
            _ => Role::Admin,
        }
    }
}

/// A user as stored, without the password hash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// E-mail address, lower-cased (unique).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Staff act as superadmin on every tenant.
    pub is_staff: bool,
    /// Whether signing in with a password also takes a TOTP code.
    pub totp_enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When staff deactivated the account (`None`: active). A deactivated user cannot
    /// sign in, and their sessions and tokens stop working (see `staff`).
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// A user together with the hash to verify a password against (sign-in only).
#[derive(Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// One of a user's tenants, with the tenant's names for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Membership {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Tenant display name.
    pub tenant_name: String,
    /// Tenant slug.
    pub tenant_slug: String,
    /// Role in that tenant.
    pub role: MemberRole,
    /// Whether that tenant lets its members in only through single sign-on.
    pub sso_required: bool,
}

/// A user and every tenant they belong to: what `/auth/me` answers.
#[derive(Clone, Debug, PartialEq)]
pub struct UserProfile {
    /// The user.
    pub user: User,
    /// Their memberships, by tenant creation order.
    pub memberships: Vec<Membership>,
}

impl UserProfile {
    /// Whether the user may sign in only through single sign-on: any tenant they belong
    /// to requires it (a password would otherwise let them into that tenant too).
    pub fn must_use_sso(&self) -> bool {
        self.memberships.iter().any(|m| m.sso_required)
    }

    /// The user's role in a tenant, if they are a member.
    pub fn role_in(&self, tenant_id: Uuid) -> Option<MemberRole> {
        self.memberships
            .iter()
            .find(|m| m.tenant_id == tenant_id)
            .map(|m| m.role)
    }
}

/// A member of one tenant, as the tenant's user list shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// User id.
    pub id: Uuid,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role in this tenant.
    pub role: MemberRole,
    /// When they joined the tenant.
    pub created_at: DateTime<Utc>,
}

/// A pending or used invitation to join a tenant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Invitation {
    /// Invitation id.
    pub id: Uuid,
    /// The tenant to join.
    pub tenant_id: Uuid,
    /// Who is invited (lower-cased).
    pub email: String,
    /// The role they get.
    pub role: MemberRole,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The link stops working at this time.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted; an accepted invitation cannot be used again.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Whether a one-time token (invitation, password reset) can still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneTimeState {
    /// Usable now.
    Usable,
    /// Used already, or past its expiry (`410 token_expired`).
    Spent,
}

/// Decides whether a one-time token is usable at `now`.
pub fn one_time_state(
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> OneTimeState {
    if used_at.is_some() || now >= expires_at {
        OneTimeState::Spent
    } else {
        OneTimeState::Usable
    }
}

/// Checks a new password's length (in characters, not bytes).
pub fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return Err(format!(
            "must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn member_roles_map_onto_token_roles() {
        assert_eq!(MemberRole::Owner.token_role(), Role::Admin);
        assert_eq!(MemberRole::Admin.token_role(), Role::Admin);
        assert_eq!(MemberRole::Viewer.token_role(), Role::ReadOnly);
        assert!(MemberRole::Owner > MemberRole::Admin);
        for r in [MemberRole::Owner, MemberRole::Admin, MemberRole::Viewer] {
            assert_eq!(MemberRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(MemberRole::parse("read_only"), None);
    }

    #[test]
    fn a_members_token_never_outranks_the_member() {
        assert_eq!(
            MemberRole::Viewer.bound_token_role(Role::Admin),
            Role::ReadOnly
        );
        assert_eq!(MemberRole::Admin.bound_token_role(Role::Admin), Role::Admin);
        assert_eq!(
            MemberRole::Owner.bound_token_role(Role::ReadOnly),
            Role::ReadOnly
        );
        assert_eq!(
            MemberRole::Owner.bound_token_role(Role::Superadmin),
            Role::Admin
        );
    }

    #[test]
    fn one_time_tokens_expire_and_are_single_use() {
        let now = Utc::now();
        let later = now + Duration::hours(1);
        assert_eq!(one_time_state(later, None, now), OneTimeState::Usable);
        assert_eq!(one_time_state(now, None, now), OneTimeState::Spent);
        assert_eq!(one_time_state(later, Some(now), now), OneTimeState::Spent);
    }

    #[test]
    fn password_length_counts_characters() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"é".repeat(10)).is_ok());
        assert!(check_password(&"a".repeat(201)).is_err());
    }
}
