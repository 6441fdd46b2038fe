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
    /// Tenant id: the `{tenant_id}` in every tenant-scoped path.
    pub id: Uuid,
    /// Display name (1–200 characters).
    pub name: String,
    /// Unique URL-safe handle, 1–63 of `a-z0-9-`; a taken one is `409 conflict`.
    pub slug: String,
    /// When the tenant was created; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// The Stripe customer (`cus_…`) the tenant is billed as, linked by a checkout;
    /// `null` for a tenant not sold through Stripe.
    pub stripe_customer_id: Option<String>,
    /// Where failed-payment and expiry mails go (the checkout's or trial's e-mail).
    pub billing_email: Option<String>,
    /// Members sign in only through single sign-on; their passwords are refused.
    pub sso_required: bool,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            name: t.name,
            slug: t.slug,
            created_at: t.created_at,
            stripe_customer_id: t.stripe_customer_id,
            billing_email: t.billing_email,
            sso_required: t.sso_required,
        }
    }
}

/// An API token, without its secret.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Token id: the `{token_id}` that revokes it, and `actor.id` in the audit entries it makes.
    pub id: Uuid,
    /// Display name given at creation (1–200 characters); `actor.name` in its audit entries.
    pub name: String,
    /// `admin` or `read_only`.
    pub role: String,
    /// When the token was made; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// When it was revoked (it stopped working then); `null` while it works.
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
    /// Token id: the `{token_id}` that revokes it.
    pub id: Uuid,
    /// Display name, as given (1–200 characters).
    pub name: String,
    /// `admin` or `read_only`, as requested.
    pub role: String,
    /// When the token was made.
    pub created_at: DateTime<Utc>,
    /// The bearer secret; store it now, it is never shown again.
    pub token: String,
}

/// A license.
#[derive(Serialize, ToSchema)]
pub struct LicenseView {
    /// License id: the `{license_id}` in its paths and the `lid` claim of its session tokens.
    pub id: Uuid,
    /// The tenant that owns the license.
    pub tenant_id: Uuid,
    /// Display name (1–200 characters); `null` when none was given or it was cleared.
    pub name: Option<String>,
    /// The key in full; `null` for `read_only` tokens.
    pub license_key: Option<String>,
    /// Last four characters of the key.
    pub key_hint: String,
    /// Seats that may be live at once (1–1,000,000); may be below `seats_used` once lowered.
    pub seats_total: i64,
    /// Live sessions now (status `active` and not past their `expires_at`).
    pub seats_used: i64,
    /// Expiry, or `null` for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Seconds a session stays live after its last acquire or heartbeat (1–604800).
    pub heartbeat_ttl_seconds: i64,
    /// Feature names the license grants, passed on in acquire answers and the `ent` claim.
    pub entitlements: Vec<String>,
    /// Free-form JSON object of the vendor's, stored and returned as given, never interpreted.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// False when suspended.
    pub is_active: bool,
    /// Longest offline borrow in hours; 0 means borrowing is disabled.
    pub max_borrow_hours: i64,
    /// When the license was created; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// When a change last took effect (equal to `created_at` until the first one).
    pub updated_at: DateTime<Utc>,
    /// The product it was made from (by a Stripe subscription or a trial); `null` for a
    /// license made by hand.
    pub product_id: Option<Uuid>,
    /// The Stripe subscription it is sold under, as the latest applied billing event left
    /// it; `null` for licenses not sold through Stripe (and for trials).
    pub subscription: Option<coditect_domain::Subscription>,
    /// When it was archived (out of the default listing, and suspended); `null` while in
    /// use.
    pub archived_at: Option<DateTime<Utc>>,
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
            product_id: l.product_id,
            subscription: l.subscription,
            archived_at: l.archived_at,
        }
    }
}

/// A session.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Session id: the client's `session_id` and the `sub` claim of its tokens.
    pub id: Uuid,
    /// The license whose seat the session holds.
    pub license_id: Uuid,
    /// The installation's opaque id as the client sent it; one live session per license and id.
    pub hardware_id: String,
    /// The e-mail the client sent with its latest acquire; `null` when it sent none.
    pub user_email: Option<String>,
    /// Client name and version.
    #[schema(value_type = Option<Object>)]
    pub client: Option<Map<String, Value>>,
    /// `active`, `released` or `expired`.
    pub status: String,
    /// `released`, `forced`, `expired` or `null`.
    pub end_reason: Option<String>,
    /// When the seat was first granted (resuming the session keeps this time).
    pub created_at: DateTime<Utc>,
    /// Last acquire or heartbeat.
    pub last_heartbeat_at: DateTime<Utc>,
    /// When it stops being live unless heartbeated; never after the license's `expires_at`.
    pub expires_at: DateTime<Utc>,
    /// When it ended; `null` while active (an expired session ended at its `expires_at`).
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
    /// `superadmin`, `token`, `user` (signed in to the dashboard) or `system` (the reaper).
    #[serde(rename = "type")]
    pub actor_type: String,
    /// The token's id, or the user's for `user`; `null` for the bootstrap token and the reaper.
    pub id: Option<Uuid>,
    /// The token's name, the user's e-mail, `"bootstrap"` or `"reaper"`.
    pub name: Option<String>,
}

/// An audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    /// Entry id; ids are time-ordered, and the log lists newest first.
    pub id: Uuid,
    /// When the change was made (recorded in the change's own transaction).
    pub at: DateTime<Utc>,
    /// Who made the change.
    pub actor: ActorView,
    /// What was done, as `<resource>.<verb>`: `license.update`, `session.expire`, `member.add`, …
    pub action: String,
    /// `tenant`, `token`, `license`, `session`, `invitation` or `member`.
    pub resource: String,
    /// Id of the changed resource (the user id for `member.*` actions).
    pub resource_id: Uuid,
    /// State before (`null` on create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// State after (`null` on `member.remove`); neither side holds a key or a token secret.
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

/// Other view modules declare their pages with it too.
pub(crate) use page_type;

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
