//! Tenants (the vendors' customers or business units) and the API tokens that act on them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::input::{Name, Slug};

/// A tenant: the unit of isolation. Every license, session and audit entry belongs to one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tenant {
    /// Tenant id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique handle.
    pub slug: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The Stripe customer it is billed as (`cus_…`); set by a checkout, unique.
    pub stripe_customer_id: Option<String>,
    /// Where billing mails (failed payments, expiry reminders) go.
    pub billing_email: Option<String>,
    /// Members sign in only through single sign-on (their passwords are refused).
    pub sso_required: bool,
}

impl Tenant {
    /// The tenant with its Stripe customer and billing e-mail set (`None` leaves each as
    /// it is); `None` when that changes nothing, so nothing is written or audited.
    pub fn with_billing(
        &self,
        customer: Option<&str>,
        billing_email: Option<&str>,
    ) -> Option<Self> {
        let mut after = self.clone();
        if let Some(c) = customer {
            after.stripe_customer_id = Some(c.to_owned());
        }
        if let Some(e) = billing_email {
            after.billing_email = Some(e.to_owned());
        }
        (after != *self).then_some(after)
    }
}

/// A tenant to create.
#[derive(Clone, Debug)]
pub struct NewTenant {
    /// Display name.
    pub name: Name,
    /// Unique handle.
    pub slug: Slug,
}

/// What a bearer token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts on every tenant, including superadmin-only endpoints.
    Superadmin,
    /// Reads and writes within its own tenant.
    Admin,
    /// Reads within its own tenant; never sees license keys in full.
    ReadOnly,
}

impl Role {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::Admin => "admin",
            Role::ReadOnly => "read_only",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "superadmin" => Some(Role::Superadmin),
            "admin" => Some(Role::Admin),
            "read_only" => Some(Role::ReadOnly),
            _ => None,
        }
    }
}

/// A bearer token's record. The secret itself is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiToken {
    /// Token id.
    pub id: Uuid,
    /// The tenant it acts on; `None` for superadmin tokens.
    pub tenant_id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The person it was made by (directly or through another of their tokens). Such a
    /// token is bounded by that person's current membership: it never does more than
    /// they may, and stops working when they leave the tenant.
    pub created_by_user_id: Option<Uuid>,
    /// The person who made it, staff or member (directly or through another of their
    /// tokens): it stops working while they are deactivated, and a token they made as
    /// staff stops once they are no longer staff (`crate::staff::token_maker_allows`).
    /// `None` for tokens made by the operator (the bootstrap token).
    pub made_by_user_id: Option<Uuid>,
}
