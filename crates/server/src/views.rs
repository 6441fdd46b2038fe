//! Response bodies as the contract shows them, and the request shapes for the OpenAPI
//! document (requests are parsed field by field, see `http::fields`).

use chrono::{DateTime, Utc};
use coditect_domain::{AuditEntry, ErrorCode, License, Session, Tenant};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::encode_cursor;

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct TenantView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Unique handle.
    pub slug: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            name: t.name,
            slug: t.slug,
            created_at: t.created_at,
        }
    }
}

/// An API token, without its secret.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `admin` or `read_only`.
    pub role: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The member it was made by: it acts with no more than their current role, and
    /// stops working when they leave the tenant. `null` for tokens made by staff or
    /// the operator.
    pub created_by_user_id: Option<Uuid>,
}

impl From<coditect_domain::ApiToken> for TokenView {
    fn from(t: coditect_domain::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.as_str().into(),
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            created_by_user_id: t.created_by_user_id,
        }
    }
}

/// A token just created: the only response that carries its secret.
#[derive(Serialize, ToSchema)]
pub struct TokenCreatedView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The bearer secret; store it now, it is never shown again.
    pub token: String,
}

/// A license.
#[derive(Serialize, ToSchema)]
pub struct LicenseView {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Name.
    pub name: Option<String>,
    /// The key in full; `null` for `read_only` tokens.
    pub license_key: Option<String>,
    /// Last four characters of the key.
    pub key_hint: String,
    /// Seats.
    pub seats_total: i64,
    /// Live sessions.
    pub seats_used: i64,
    /// Expiry, or `null` for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Session TTL without heartbeat.
    pub heartbeat_ttl_seconds: i64,
    /// Entitlements.
    pub entitlements: Vec<String>,
    /// Vendor metadata.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// False when suspended.
    pub is_active: bool,
    /// Longest offline borrow in hours; 0 means borrowing is disabled.
    pub max_borrow_hours: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl LicenseView {
    /// Builds the view; `key` is the opened license key, or `None` to hide it.
    pub fn new(l: License, seats_used: i64, key: Option<String>) -> Self {
        Self {
            id: l.id,
            tenant_id: l.tenant_id,
            name: l.name,
            license_key: key,
            key_hint: l.key_hint,
            seats_total: l.seats_total,
            seats_used,
            expires_at: l.expires_at,
            heartbeat_ttl_seconds: l.heartbeat_ttl_seconds,
            entitlements: l.entitlements,
            metadata: l.metadata,
            is_active: l.is_active,
            max_borrow_hours: l.max_borrow_hours,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// A session.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Id.
    pub id: Uuid,
    /// License.
    pub license_id: Uuid,
    /// Installation.
    pub hardware_id: String,
    /// User.
    pub user_email: Option<String>,
    /// Client name and version.
    #[schema(value_type = Option<Object>)]
    pub client: Option<Map<String, Value>>,
    /// `active`, `released` or `expired`.
    pub status: String,
    /// `released`, `forced`, `expired` or `null`.
    pub end_reason: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last acquire or heartbeat.
    pub last_heartbeat_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Borrowed for offline use: holds its seat until `expires_at` without heartbeats.
    pub borrowed: bool,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            id: s.id,
            license_id: s.license_id,
            hardware_id: s.hardware_id,
            user_email: s.user_email,
            client: s.client,
            status: s.status.as_str().into(),
            end_reason: s.end_reason.map(|r| r.as_str().into()),
            created_at: s.created_at,
            last_heartbeat_at: s.last_heartbeat_at,
            expires_at: s.expires_at,
            ended_at: s.ended_at,
            borrowed: s.borrowed,
        }
    }
}

/// Who made an audited change.
#[derive(Serialize, ToSchema)]
pub struct ActorView {
    /// `superadmin`, `token` or `system`.
    #[serde(rename = "type")]
    pub actor_type: String,
    /// Token id.
    pub id: Option<Uuid>,
    /// Token name.
    pub name: Option<String>,
}

/// An audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: ActorView,
    /// What.
    pub action: String,
    /// Resource kind.
    pub resource: String,
    /// Resource id.
    pub resource_id: Uuid,
    /// State before (`null` on create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// State after.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

impl From<AuditEntry> for AuditView {
    fn from(a: AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor: ActorView {
                actor_type: a.actor.actor_type.as_str().into(),
                id: a.actor.id,
                name: a.actor.name,
            },
            action: a.action,
            resource: a.resource,
            resource_id: a.resource_id,
            before: a.before,
            after: a.after,
        }
    }
}

macro_rules! page_type {
    ($name:ident, $item:ty) => {
        /// A page of a listing.
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            /// Items, in the listing's order.
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; `null` on the last.
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// Builds the wire page.
            pub fn new(page: coditect_domain::Page<$item>) -> Self {
                Self {
                    items: page.items,
                    next_cursor: encode_cursor(page.next_after),
                }
            }
        }
    };
}

page_type!(TenantPage, TenantView);
page_type!(TokenPage, TokenView);
page_type!(LicensePage, LicenseView);
page_type!(SessionPage, SessionView);
page_type!(AuditPage, AuditView);

/// The error body every failure has.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code to branch on (not on the status).
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Structured details; `fields` for `validation_error`.
    #[schema(value_type = Object)]
    pub details: Value,
    /// The request id, as in the `x-request-id` header.
    pub request_id: String,
}
