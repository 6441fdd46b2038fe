//! Licenses: how many seats, until when, and whether they may be used at all.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::billing::Subscription;

/// A license as stored. `key_sealed` is the license key as kept at rest (plain, or
/// encrypted under the master key); the HTTP layer decides who may see it opened.
#[derive(Clone, Debug, PartialEq)]
pub struct License {
    /// License id.
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: Uuid,
    /// Optional display name.
    pub name: Option<String>,
    /// The key as stored at rest.
    pub key_sealed: String,
    /// The key's last four characters, safe to show anyone with read access.
    pub key_hint: String,
    /// Seats a license may have live at once.
    pub seats_total: i64,
    /// When the license stops working; `None` never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Seconds a session stays live after its last acquire or heartbeat.
    pub heartbeat_ttl_seconds: i64,
    /// Feature names the license grants, carried into session tokens' `ent` claim.
    pub entitlements: Vec<String>,
    /// Free-form vendor data, stored and returned as given; the server never reads it.
    pub metadata: Map<String, Value>,
    /// `false` suspends the license.
    pub is_active: bool,
    /// The longest offline borrow, in hours; 0 disables borrowing.
    pub max_borrow_hours: i64,
    /// When it was created; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// When a change last took effect; equal to `created_at` until the first one.
    pub updated_at: DateTime<Utc>,
    /// The product it was made from (by a subscription or a trial); `None` when made by hand.
    pub product_id: Option<Uuid>,
    /// The subscription it is sold under; `None` for licenses not sold through Stripe.
    pub subscription: Option<Subscription>,
    /// When it was archived: out of the default listings, and suspended, since a license
    /// nobody looks at must not quietly keep admitting seats. `None` while in use.
    pub archived_at: Option<DateTime<Utc>>,
}

/// Whether a license may be used right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenseState {
    /// Active and not expired: acquires (free seats permitting) and heartbeats may go ahead.
    Valid,
    /// `is_active` is false.
    Suspended,
    /// Past its `expires_at`.
    Expired,
}

impl License {
    /// The license's state at `now`; suspension wins over expiry.
    pub fn state(&self, now: DateTime<Utc>) -> LicenseState {
        if !self.is_active {
            LicenseState::Suspended
        } else if self.expires_at.is_some_and(|e| now >= e) {
            LicenseState::Expired
        } else {
            LicenseState::Valid
        }
    }

    /// The license as the audit log records it: every field but the key.
    pub fn audit_snapshot(&self) -> Value {
        #[derive(Serialize)]
        struct Snap<'a> {
            id: Uuid,
            tenant_id: Uuid,
            name: &'a Option<String>,
            key_hint: &'a str,
            seats_total: i64,
            expires_at: Option<DateTime<Utc>>,
            heartbeat_ttl_seconds: i64,
            entitlements: &'a [String],
            metadata: &'a Map<String, Value>,
            is_active: bool,
            max_borrow_hours: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            product_id: Option<Uuid>,
            #[serde(skip_serializing_if = "Option::is_none")]
            subscription: &'a Option<Subscription>,
            #[serde(skip_serializing_if = "Option::is_none")]
            archived_at: Option<DateTime<Utc>>,
        }
        serde_json::to_value(Snap {
            id: self.id,
            tenant_id: self.tenant_id,
            name: &self.name,
            key_hint: &self.key_hint,
            seats_total: self.seats_total,
            expires_at: self.expires_at,
            heartbeat_ttl_seconds: self.heartbeat_ttl_seconds,
            entitlements: &self.entitlements,
            metadata: &self.metadata,
            is_active: self.is_active,
            max_borrow_hours: self.max_borrow_hours,
            product_id: self.product_id,
            subscription: &self.subscription,
            archived_at: self.archived_at,
        })
        .unwrap_or(Value::Null)
    }

    /// Applies a patch at `now`, returning whether anything changed. Archiving suspends
    /// the license and keeps the first archiving time; unarchiving leaves it suspended
    /// (resuming is a decision of its own).
    pub fn apply(&mut self, patch: &LicensePatch, now: DateTime<Utc>) -> bool {
        let before = self.clone();
        match patch.archived {
            Some(true) => {
                self.archived_at = self.archived_at.or(Some(now));
                self.is_active = false;
            }
            Some(false) => self.archived_at = None,
            None => {}
        }
        if let Some(v) = &patch.name {
            self.name.clone_from(v);
        }
        if let Some(v) = patch.seats_total {
            self.seats_total = v;
        }
        if let Some(v) = patch.expires_at {
            self.expires_at = v;
        }
        if let Some(v) = patch.heartbeat_ttl_seconds {
            self.heartbeat_ttl_seconds = v;
        }
        if let Some(v) = &patch.entitlements {
            self.entitlements.clone_from(v);
        }
        if let Some(v) = &patch.metadata {
            self.metadata.clone_from(v);
        }
        if let Some(v) = patch.is_active {
            // An archived license stays suspended whoever resumes it (an admin, a Stripe
            // renewal): bring it back first. Unarchive and resume in one patch works.
            self.is_active = v && self.archived_at.is_none();
        }
        if let Some(v) = patch.max_borrow_hours {
            self.max_borrow_hours = v;
        }
        if let Some(v) = &patch.subscription {
            self.subscription.clone_from(v);
        }
        *self != before
    }
}

/// A license to create, already parsed and with its key generated.
#[derive(Clone, Debug)]
pub struct NewLicense {
    /// Owning tenant.
    pub tenant_id: Uuid,
    /// Optional display name.
    pub name: Option<String>,
    /// The key as it is to be kept at rest.
    pub key_sealed: String,
    /// SHA-256 of the normalized key, the only way a key is looked up.
    pub key_hash: String,
    /// Last four characters of the key.
    pub key_hint: String,
    /// Seats that may be live at once (1–1,000,000).
    pub seats_total: i64,
    /// When the license stops working; `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Seconds a session stays live without a heartbeat (360 when the request gave none).
    pub heartbeat_ttl_seconds: i64,
    /// Feature names the license grants.
    pub entitlements: Vec<String>,
    /// Free-form vendor data, stored as given.
    pub metadata: Map<String, Value>,
    /// `false` creates the license suspended.
    pub is_active: bool,
    /// The longest offline borrow in hours (0: borrowing disabled).
    pub max_borrow_hours: i64,
    /// The product it is made from, if any.
    pub product_id: Option<Uuid>,
    /// The subscription it is sold under, if any (one license per subscription and product).
    pub subscription: Option<Subscription>,
}

/// A PATCH: `None` leaves a field unchanged; `Some(None)` clears a nullable one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LicensePatch {
    /// New name, or `Some(None)` to clear it.
    pub name: Option<Option<String>>,
    /// New seat count.
    pub seats_total: Option<i64>,
    /// New expiry, or `Some(None)` for never.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// New TTL; applies from each session's next heartbeat.
    pub heartbeat_ttl_seconds: Option<i64>,
    /// Replaces the entitlements whole.
    pub entitlements: Option<Vec<String>>,
    /// Replaces the metadata whole.
    pub metadata: Option<Map<String, Value>>,
    /// Suspends or resumes.
    pub is_active: Option<bool>,
    /// New longest borrow; applies to borrows made from now on.
    pub max_borrow_hours: Option<i64>,
    /// The subscription as billing events last left it. Set only by the billing applier;
    /// the admin API's PATCH has no such field.
    pub subscription: Option<Option<Subscription>>,
    /// Archives (`true`) or brings back (`false`) the license.
    pub archived: Option<bool>,
}

impl LicensePatch {
    /// True when the patch names no field at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Which licenses a listing shows (all `None`: every license).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LicenseFilter {
    /// What a support person pasted into the search box: a case-insensitive substring of
    /// the name, the key hint or a top-level string or number metadata value; or, exactly, a hardware id or user
    /// e-mail (case-insensitive) one of the license's sessions ever had; or the full key
    /// (through [`Self::key_hash`], since keys are stored only sealed and hashed).
    pub q: Option<String>,
    /// The lookup hash of `q` read as a license key, set by the HTTP layer (which owns the
    /// hashing); a listing with `q` and no hash never matches by key.
    pub key_hash: Option<String>,
    /// Only licenses in this state now (suspension wins over expiry).
    pub state: Option<LicenseState>,
    /// Only licenses that expire before this time (never-expiring ones never match).
    pub expires_before: Option<DateTime<Utc>>,
    /// Only licenses of this Stripe subscription (`sub_…`).
    pub subscription_id: Option<String>,
    /// Only licenses made from this product.
    pub product_id: Option<Uuid>,
    /// Archived licenses too, none of them, or only them.
    pub archived: ArchivedFilter,
}

/// How a listing treats archived licenses. The store's default is every license; the
/// dashboard's listing asks for [`ArchivedFilter::Exclude`] unless told otherwise, which is
/// what archiving is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchivedFilter {
    /// Archived or not.
    #[default]
    Any,
    /// Only licenses in use.
    Exclude,
    /// Only archived licenses.
    Only,
}

impl LicenseFilter {
    /// The `q` filter as a SQL `LIKE` pattern on lower-cased text, with `%`, `_` and `\`
    /// escaped (use `ESCAPE '\'`).
    pub fn like_pattern(&self) -> Option<String> {
        self.q.as_ref().map(|q| {
            let mut p = String::from("%");
            for c in q.to_lowercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        })
    }

    /// The `q` filter lower-cased in ASCII only, compared whole with a session's e-mail
    /// lower-cased the same way (what SQLite's `lower()` does, and PostgreSQL's
    /// `translate` of A–Z), so both backends find the same licenses.
    pub fn lower_text(&self) -> Option<String> {
        self.q.as_ref().map(|q| q.to_ascii_lowercase())
    }
}
