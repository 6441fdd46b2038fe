//! Response bodies of the dashboard endpoints: users, members, invitations, analytics.

use chrono::{DateTime, Utc};
use coditect_domain::{Invitation, Member, SeriesPoint, UserProfile};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::encode_cursor;

/// One tenant a user belongs to.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Tenant name.
    pub tenant_name: String,
    /// Tenant slug.
    pub tenant_slug: String,
    /// `owner`, `admin` or `viewer`.
    pub role: String,
}

/// A user with every tenant they belong to.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    /// User id: the `{user_id}` of the tenant member paths.
    pub id: Uuid,
    /// E-mail (lower-cased).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Staff act as superadmin on every tenant.
    pub is_staff: bool,
    /// Whether sign-in with a password also asks for a TOTP code.
    pub totp_enabled: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When staff deactivated the account; `null` while it is active. A deactivated
    /// user cannot sign in, and their sessions and tokens stop working.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Tenants and roles.
    pub memberships: Vec<MembershipView>,
}

impl From<UserProfile> for UserView {
    fn from(p: UserProfile) -> Self {
        Self {
            id: p.user.id,
            email: p.user.email,
            name: p.user.name,
            is_staff: p.user.is_staff,
            totp_enabled: p.user.totp_enabled,
            created_at: p.user.created_at,
            deactivated_at: p.user.deactivated_at,
            memberships: p
                .memberships
                .into_iter()
                .map(|m| MembershipView {
                    tenant_id: m.tenant_id,
                    tenant_name: m.tenant_name,
                    tenant_slug: m.tenant_slug,
                    role: m.role.as_str().into(),
                })
                .collect(),
        }
    }
}

/// The answer to every sign-in: the user and the session's CSRF token, which cookie
/// requests that change something must send as `x-csrf-token`.
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    /// The user.
    pub user: UserView,
    /// The CSRF token of this session.
    pub csrf_token: String,
}

/// A member of a tenant.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    /// User id: the `{user_id}` of the tenant member paths.
    pub id: Uuid,
    /// E-mail they sign in with (lower-cased).
    pub email: String,
    /// Display name of their account.
    pub name: String,
    /// `owner`, `admin` or `viewer`.
    pub role: String,
    /// When they joined the tenant.
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            role: m.role.as_str().into(),
            created_at: m.created_at,
        }
    }
}

/// An invitation just made (its link went out by mail).
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    /// Invitation id, as the `invitation.create` audit entry names it.
    pub id: Uuid,
    /// Address the invitation link was mailed to (lower-cased).
    pub email: String,
    /// Role granted on acceptance.
    pub role: String,
    /// The link stops working at this time.
    pub expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role.as_str().into(),
            expires_at: i.expires_at,
        }
    }
}

/// A page of members.
#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    /// Members, by user id.
    pub items: Vec<MemberView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl MemberPage {
    /// Builds the wire page.
    pub fn new(p: coditect_domain::Page<MemberView>) -> Self {
        Self {
            items: p.items,
            next_cursor: encode_cursor(p.next_after),
        }
    }
}

/// A page of users (staff view).
#[derive(Serialize, ToSchema)]
pub struct UserPage {
    /// Users, oldest first.
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// One point of an analytics series.
#[derive(Serialize, ToSchema)]
pub struct SeriesPointView {
    /// Bucket start.
    pub at: DateTime<Utc>,
    /// Average seats used over the bucket (time without samples counts as zero).
    pub seats_used_avg: f64,
    /// Most seats used at one sample.
    pub seats_used_peak: i64,
    /// Acquires refused with `409 no_seats_available`.
    pub denials: i64,
    /// The bucket is still running (it ends after the range's end or now): its figures
    /// are "so far", not a drop.
    pub partial: bool,
}

impl From<SeriesPoint> for SeriesPointView {
    fn from(p: SeriesPoint) -> Self {
        Self {
            at: p.at,
            seats_used_avg: p.seats_used_avg,
            seats_used_peak: p.seats_used_peak,
            denials: p.denials,
            partial: p.partial,
        }
    }
}

/// Seat use and denials over time.
#[derive(Serialize, ToSchema)]
pub struct AnalyticsView {
    /// `minute`, `hour` or `day`.
    pub bucket: String,
    /// Range start.
    pub from: DateTime<Utc>,
    /// Range end (exclusive).
    pub to: DateTime<Utc>,
    /// One point per bucket, oldest first.
    pub series: Vec<SeriesPointView>,
    /// Most seats used at one sample.
    pub peak: i64,
    /// Average seats used over the range.
    pub average: f64,
    /// Denials in the range.
    pub denials_total: i64,
}

/// One tenant in the staff analytics view.
#[derive(Serialize, ToSchema)]
pub struct TenantUsageView {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Tenant name.
    pub tenant_name: String,
    /// Most seats used at one sample in the range.
    pub peak: i64,
    /// Average seats used over the range.
    pub average: f64,
    /// Denials in the range.
    pub denials_total: i64,
    /// Licenses the tenant has.
    pub licenses: i64,
    /// Live sessions now.
    pub live_sessions: i64,
}

/// The staff analytics view.
#[derive(Serialize, ToSchema)]
pub struct TenantUsageList {
    /// Every tenant, oldest first.
    pub items: Vec<TenantUsageView>,
}

/// One entry of the account log: what staff did to an account.
#[derive(Serialize, ToSchema)]
pub struct AccountAuditView {
    /// Entry id (time-ordered).
    pub id: Uuid,
    /// The account acted on.
    pub user_id: Uuid,
    /// `user.promote`, `user.demote`, `user.deactivate`, `user.reactivate` or
    /// `user.unlock_sign_in`.
    pub action: String,
    /// Who did it.
    pub actor: crate::views::ActorView,
    /// The account's `email`, `is_staff` and `deactivated_at` before (`null` for an
    /// unlock, which changes none of them).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The same after.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<coditect_domain::staff::AccountAuditEntry> for AccountAuditView {
    fn from(e: coditect_domain::staff::AccountAuditEntry) -> Self {
        Self {
            id: e.id,
            user_id: e.user_id,
            action: e.action.as_str().into(),
            actor: crate::views::ActorView {
                actor_type: e.actor.actor_type.as_str().into(),
                id: e.actor.id,
                name: e.actor.name,
            },
            before: e.before,
            after: e.after,
            created_at: e.created_at,
        }
    }
}

/// The newest entries of the account log.
#[derive(Serialize, ToSchema)]
pub struct AccountAuditList {
    /// Newest first.
    pub items: Vec<AccountAuditView>,
}
