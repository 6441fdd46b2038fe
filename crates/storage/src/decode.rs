//! Rows into records, written once for every backend. A backend says only how its driver
//! reads one column in each of the few shapes the schema uses ([`Columns`]: SQLite keeps
//! times as integer microseconds and JSON as text, PostgreSQL has `timestamptz` and
//! `jsonb`); which columns make a tenant, a token or a session, and what a malformed
//! value means, is decided here, so the backends cannot drift apart on it.

use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ActorType, ApiToken, AuditEntry, BillingEvent, BillingEventStatus, BucketUsage,
    EndReason, Invitation, License, Member, MemberRole, Membership, Page, PageRequest, Product,
    Role, Session, SessionStatus, Tenant, User, UserCredentials,
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{
    ExpiringLicense, LicenseSeatUse, OutboxCounts, OutboxMail, SessionTimes, SigningKeyRecord,
    StoreError, StoreResult, TenantUsage,
};

/// One row as the shared decoders read it. Each method reads the named column in one
/// shape; a missing column or a value of another type is an error of the backend's
/// driver (`Internal`), a NULL in a non-optional method likewise.
pub trait Columns {
    /// A UUID column.
    fn uuid(&self, col: &str) -> StoreResult<Uuid>;
    /// A nullable UUID column.
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>>;
    /// A text column.
    fn text(&self, col: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    /// An integer column (64-bit on every backend).
    fn int(&self, col: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    /// A boolean column.
    fn flag(&self, col: &str) -> StoreResult<bool>;
    /// A nullable point in time.
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// A nullable JSON column, parsed straight into `T` (a value of another shape is a
    /// corrupt row).
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>>;

    /// A point in time.
    fn time(&self, col: &str) -> StoreResult<DateTime<Utc>> {
        self.opt_time(col)?.ok_or_else(|| corrupt(col))
    }
}

/// A row that does not hold what the schema promises.
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}

fn json<T: DeserializeOwned>(r: &impl Columns, col: &str) -> StoreResult<T> {
    r.opt_json(col)?.ok_or_else(|| corrupt(col))
}

#[path = "decode_events.rs"]
mod events;
pub use events::*;
#[path = "decode_identity.rs"]
mod identity;
pub use identity::*;
#[path = "decode_prefixed.rs"]
mod prefixed;
pub use prefixed::Prefixed;
#[path = "decode_outreach.rs"]
mod outreach;
pub use outreach::*;

fn parsed<T>(r: &impl Columns, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(&r.text(col)?).ok_or_else(|| corrupt(col))
}

/// A page of records from rows fetched with `LIMIT page.limit + 1` (the extra row says
/// whether there is a next page), keyed for the next cursor by `key`.
pub fn page<R: Columns, T>(
    rows: impl IntoIterator<Item = R>,
    page: PageRequest,
    decode: impl Fn(&R) -> StoreResult<T>,
    key: fn(&T) -> Uuid,
) -> StoreResult<Page<T>> {
    let items = rows
        .into_iter()
        .map(|r| decode(&r))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, key))
}

/// A `tenants` row.
pub fn tenant<R: Columns>(r: &R) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: r.uuid("id")?,
        name: r.text("name")?,
        slug: r.text("slug")?,
        created_at: r.time("created_at")?,
        stripe_customer_id: r.opt_text("stripe_customer_id")?,
        billing_email: r.opt_text("billing_email")?,
        sso_required: r.flag("sso_required")?,
    })
}

/// An `api_tokens` row.
pub fn token<R: Columns>(r: &R) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.uuid("id")?,
        tenant_id: r.opt_uuid("tenant_id")?,
        name: r.text("name")?,
        role: parsed(r, "role", Role::parse)?,
        created_at: r.time("created_at")?,
        revoked_at: r.opt_time("revoked_at")?,
        created_by_user_id: r.opt_uuid("created_by_user_id")?,
        made_by_user_id: r.opt_uuid("made_by_user_id")?,
    })
}

/// A `licenses` row.
pub fn license<R: Columns>(r: &R) -> StoreResult<License> {
    Ok(License {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.opt_text("name")?,
        key_sealed: r.text("key_sealed")?,
        key_hint: r.text("key_hint")?,
        seats_total: r.int("seats_total")?,
        expires_at: r.opt_time("expires_at")?,
        heartbeat_ttl_seconds: r.int("heartbeat_ttl_seconds")?,
        entitlements: json(r, "entitlements")?,
        metadata: json(r, "metadata")?,
        is_active: r.flag("is_active")?,
        max_borrow_hours: r.int("max_borrow_hours")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        product_id: r.opt_uuid("product_id")?,
        subscription: r.opt_json("subscription")?,
        archived_at: r.opt_time("archived_at")?,
    })
}

/// A `products` row with its prices aggregated into a JSON array `stripe_price_ids`.
pub fn product<R: Columns>(r: &R) -> StoreResult<Product> {
    Ok(Product {
        id: r.uuid("id")?,
        slug: r.text("slug")?,
        name: r.text("name")?,
        seats_per_unit: r.int("seats_per_unit")?,
        heartbeat_ttl_seconds: r.int("heartbeat_ttl_seconds")?,
        entitlements: json(r, "entitlements")?,
        trial_days: r.int("trial_days")?,
        trial_seats: r.int("trial_seats")?,
        grace_days: r.int("grace_days")?,
        stripe_price_ids: json(r, "stripe_price_ids")?,
        metered: r.flag("metered")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A license row joined with its tenant's `tenant_name` and `billing_email`, and JSON
/// arrays `owner_emails` and `sent_thresholds` (reminders sent for its `expires_at`).
pub fn expiring_license<R: Columns>(r: &R) -> StoreResult<ExpiringLicense> {
    Ok(ExpiringLicense {
        license: license(r)?,
        tenant_name: r.text("tenant_name")?,
        billing_email: r.opt_text("billing_email")?,
        owner_emails: r.opt_json("owner_emails")?.unwrap_or_default(),
        sent_thresholds: r.opt_json("sent_thresholds")?.unwrap_or_default(),
    })
}

/// A `billing_events` row, with the `row_id` it is paged by.
pub fn billing_event<R: Columns>(r: &R) -> StoreResult<(Uuid, BillingEvent)> {
    Ok((
        r.uuid("row_id")?,
        BillingEvent {
            id: r.text("id")?,
            event_type: r.text("event_type")?,
            created: r.time("created")?,
            received_at: r.time("received_at")?,
            status: parsed(r, "status", BillingEventStatus::parse)?,
            reason: r.opt_text("reason")?,
            license_ids: json(r, "license_ids")?,
            tenant_id: r.opt_uuid("tenant_id")?,
            payload: json(r, "payload")?,
        },
    ))
}

/// A `sessions` row, as stored (callers apply [`Session::effective`] where it is reported).
pub fn session<R: Columns>(r: &R) -> StoreResult<Session> {
    Ok(Session {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        license_id: r.uuid("license_id")?,
        hardware_id: r.text("hardware_id")?,
        user_email: r.opt_text("user_email")?,
        client: r.opt_json("client")?,
        status: parsed(r, "status", SessionStatus::parse)?,
        end_reason: r
            .opt_text("end_reason")?
            .map(|s| EndReason::parse(&s).ok_or_else(|| corrupt("end_reason")))
            .transpose()?,
        created_at: r.time("created_at")?,
        last_heartbeat_at: r.time("last_heartbeat_at")?,
        expires_at: r.time("expires_at")?,
        ended_at: r.opt_time("ended_at")?,
        borrowed: r.flag("borrowed")?,
    })
}

/// An `audit_log` row.
pub fn audit<R: Columns>(r: &R) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        at: r.time("at")?,
        actor: Actor {
            actor_type: parsed(r, "actor_type", ActorType::parse)?,
            id: r.opt_uuid("actor_id")?,
            name: r.opt_text("actor_name")?,
        },
        action: r.text("action")?,
        resource: r.text("resource")?,
        resource_id: r.uuid("resource_id")?,
        before: r.opt_json("before")?,
        after: r.opt_json("after")?,
    })
}

/// A `signing_keys` row.
pub fn signing_key<R: Columns>(r: &R) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: r.text("kid")?,
        alg: r.text("alg")?,
        private_sealed: r.text("private_sealed")?,
        public_jwk: json(r, "public_jwk")?,
        is_current: r.flag("is_current")?,
        created_at: r.time("created_at")?,
        retain_until: r.opt_time("retain_until")?,
    })
}

/// A `users` row.
pub fn user<R: Columns>(r: &R) -> StoreResult<User> {
    Ok(User {
        id: r.uuid("id")?,
        email: r.text("email")?,
        name: r.text("name")?,
        is_staff: r.flag("is_staff")?,
        totp_enabled: r.flag("totp_enabled")?,
        created_at: r.time("created_at")?,
        deactivated_at: r.opt_time("deactivated_at")?,
    })
}

/// A member: a `users` row joined with its `memberships` row (`role`, `joined_at`).
pub fn member<R: Columns>(r: &R) -> StoreResult<Member> {
    Ok(Member {
        id: r.uuid("id")?,
        email: r.text("email")?,
        name: r.text("name")?,
        role: parsed(r, "role", MemberRole::parse)?,
        created_at: r.time("joined_at")?,
    })
}

/// One of a user's memberships: a `memberships` row (`tenant_id`, `role`) joined with its
/// tenant (`name`, `slug`).
pub fn membership<R: Columns>(r: &R) -> StoreResult<Membership> {
    Ok(Membership {
        tenant_id: r.uuid("tenant_id")?,
        tenant_name: r.text("name")?,
        tenant_slug: r.text("slug")?,
        role: parsed(r, "role", MemberRole::parse)?,
        sso_required: r.flag("sso_required")?,
    })
}

/// An `invitations` row.
pub fn invitation<R: Columns>(r: &R) -> StoreResult<Invitation> {
    Ok(Invitation {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        email: r.text("email")?,
        role: parsed(r, "role", MemberRole::parse)?,
        created_at: r.time("created_at")?,
        expires_at: r.time("expires_at")?,
        accepted_at: r.opt_time("accepted_at")?,
    })
}

/// A `mail_outbox` row being claimed for sending.
pub fn outbox_mail<R: Columns>(r: &R) -> StoreResult<OutboxMail> {
    Ok(OutboxMail {
        id: r.uuid("id")?,
        kind: r.text("kind")?,
        recipient: r.text("recipient")?,
        subject: r.text("subject")?,
        body_sealed: r.text("body_sealed")?,
        attempts: r.int("attempts")?,
    })
}

/// A `users` row with its password hash, for signing in.
pub fn user_credentials<R: Columns>(r: &R) -> StoreResult<UserCredentials> {
    Ok(UserCredentials {
        user: user(r)?,
        password_hash: r.text("password_hash")?,
    })
}

/// The outbox totals (`pending`, `sent`, `failed`, `pending_attempts`).
pub fn outbox_counts<R: Columns>(r: &R) -> StoreResult<OutboxCounts> {
    Ok(OutboxCounts {
        pending: r.int("pending")?,
        sent: r.int("sent")?,
        failed: r.int("failed")?,
        pending_attempts: r.int("pending_attempts")?,
    })
}

/// One bucket of seat use (`bucket`, `sum`, `peak`, `slots`).
pub fn bucket_usage<R: Columns>(r: &R) -> StoreResult<BucketUsage> {
    Ok(BucketUsage {
        at: r.time("bucket")?,
        sum: r.int("sum")?,
        peak: r.int("peak")?,
        slots: r.int("slots")?,
    })
}

/// Denials in one bucket (`bucket`, `n`).
pub fn bucket_denials<R: Columns>(r: &R) -> StoreResult<(DateTime<Utc>, i64)> {
    Ok((r.time("bucket")?, r.int("n")?))
}

/// One tenant's usage over a period (staff analytics).
pub fn tenant_usage<R: Columns>(r: &R) -> StoreResult<TenantUsage> {
    Ok(TenantUsage {
        tenant_id: r.uuid("id")?,
        tenant_name: r.text("name")?,
        peak: r.int("peak")?,
        sum: r.int("sum")?,
        slots: r.int("slots")?,
        denials: r.int("denials")?,
        licenses: r.int("licenses")?,
        live_sessions: r.int("live_sessions")?,
    })
}

/// A license's id and product, the head of its seat use.
pub fn license_ref<R: Columns>(r: &R) -> StoreResult<(Uuid, Option<Uuid>)> {
    Ok((r.uuid("id")?, r.opt_uuid("product_id")?))
}

/// A session's license and times, for seat-hours.
pub fn session_times<R: Columns>(r: &R) -> StoreResult<(Uuid, SessionTimes)> {
    Ok((
        r.uuid("license_id")?,
        SessionTimes {
            created_at: r.time("created_at")?,
            ended_at: r.opt_time("ended_at")?,
            expires_at: r.time("expires_at")?,
        },
    ))
}

/// A refused acquire's license and time.
pub fn denial<R: Columns>(r: &R) -> StoreResult<(Uuid, DateTime<Utc>)> {
    Ok((r.uuid("license_id")?, r.time("at")?))
}

/// A row of [`crate::shared::DENIALS_PAGE`].
pub fn denial_record<R: Columns>(r: &R) -> StoreResult<crate::Denial> {
    Ok(crate::Denial {
        id: r.uuid("id")?,
        license_id: r.uuid("license_id")?,
        license_name: r.opt_text("license_name")?,
        at: r.time("at")?,
        hardware_id: r.opt_text("hardware_id")?,
        user_email: r.opt_text("user_email")?,
    })
}

/// Puts sessions and denials (each ordered by license) under their licenses.
pub fn seat_use(
    licenses: Vec<(Uuid, Option<Uuid>)>,
    sessions: Vec<(Uuid, SessionTimes)>,
    denials: Vec<(Uuid, DateTime<Utc>)>,
) -> Vec<LicenseSeatUse> {
    let mut out: Vec<LicenseSeatUse> = licenses
        .into_iter()
        .map(|(license_id, product_id)| LicenseSeatUse {
            license_id,
            product_id,
            sessions: Vec::new(),
            denials: Vec::new(),
        })
        .collect();
    let index = |id: Uuid| out.binary_search_by_key(&id, |l| l.license_id).ok();
    let (mut s_at, mut d_at) = (Vec::new(), Vec::new());
    for (id, s) in sessions {
        if let Some(i) = index(id) {
            s_at.push((i, s));
        }
    }
    for (id, t) in denials {
        if let Some(i) = index(id) {
            d_at.push((i, t));
        }
    }
    for (i, s) in s_at {
        out[i].sessions.push(s);
    }
    for (i, t) in d_at {
        out[i].denials.push(t);
    }
    out
}
