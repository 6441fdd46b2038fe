//! What the checks build their cases from: an actor, tenants, licenses, acquires, mails,
//! members, and the few assertions every role needs (conflicts, following every page).

use std::fmt::Debug;
use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use coditect_domain::input::{Name, Slug};
use coditect_domain::{
    Actor, ActorType, AuditEntry, License, MemberRole, NewLicense, NewTenant, Page, PageRequest,
    Session, Tenant, User,
};
use serde_json::Map;
use uuid::Uuid;

use crate::ConflictField;
use crate::{
    AcquireRequest, InviteeAccount, NewInvitation, NewMail, OneTime, Store, StoreError, StoreResult,
};

/// The superadmin the checks act as.
pub(crate) fn actor() -> Actor {
    Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("conformance".into()),
    }
}

/// A tenant token as an actor, for checks that the actor is recorded as given.
pub(crate) fn token_actor() -> Actor {
    Actor {
        actor_type: ActorType::Token,
        id: Some(Uuid::now_v7()),
        name: Some("ci token".into()),
    }
}

/// A value no other check uses: `<prefix>-<12 hex digits>` (a valid slug for a prefix of
/// `a-z0-9-`).
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// A tenant to create with this slug.
pub(crate) fn new_tenant(name: &str, slug: &str) -> NewTenant {
    NewTenant {
        name: Name::parse(name).expect("a valid name"),
        slug: Slug::parse(slug).expect("a valid slug"),
    }
}

/// A new tenant with a slug of its own.
pub(crate) async fn tenant(store: &dyn Store) -> Tenant {
    let slug = unique("t");
    store
        .create_tenant(new_tenant(&format!("Tenant {slug}"), &slug), &actor())
        .await
        .expect("create a tenant")
}

/// A license to create: `seats` seats, sessions live `ttl` seconds, a key of its own.
pub(crate) fn new_license(tenant_id: Uuid, seats: i64, ttl: i64) -> NewLicense {
    let key_hash = unique("key-hash");
    NewLicense {
        tenant_id,
        name: Some(format!("license {key_hash}")),
        key_sealed: format!("sealed {key_hash}"),
        key_hint: key_hash[key_hash.len() - 4..].to_uppercase(),
        key_hash,
        seats_total: seats,
        expires_at: None,
        heartbeat_ttl_seconds: ttl,
        entitlements: vec!["feature-a".into()],
        metadata: Map::new(),
        is_active: true,
        max_borrow_hours: 0,
        product_id: None,
        subscription: None,
    }
}

/// Creates a license from `l`; returns it and its key hash (which `License` does not hold).
pub(crate) async fn create_license(store: &dyn Store, l: NewLicense) -> (License, String) {
    let key_hash = l.key_hash.clone();
    let created = store
        .create_license(l, &actor())
        .await
        .expect("create a license");
    (created.license, key_hash)
}

/// A new license of `tenant_id` with `seats` seats and a session TTL of `ttl` seconds.
pub(crate) async fn license(
    store: &dyn Store,
    tenant_id: Uuid,
    seats: i64,
    ttl: i64,
) -> (License, String) {
    create_license(store, new_license(tenant_id, seats, ttl)).await
}

/// A plain acquire (no queue, no borrow) of the license with this key hash.
pub(crate) fn acquire(key_hash: &str, hardware_id: &str) -> AcquireRequest {
    AcquireRequest {
        key_hash: key_hash.into(),
        hardware_id: hardware_id.into(),
        user_email: None,
        client: None,
        waiter: None,
        borrow_hours: None,
    }
}

/// Takes a seat that must be granted; returns the session.
pub(crate) async fn take(store: &dyn Store, key_hash: &str, hardware_id: &str) -> Session {
    store
        .acquire(acquire(key_hash, hardware_id))
        .await
        .expect("a seat is granted")
        .session
}

/// A mail to queue.
pub(crate) fn mail(kind: &'static str, recipient: &str) -> NewMail {
    NewMail {
        kind,
        recipient: recipient.into(),
        subject: format!("{kind} for {recipient}"),
        body_sealed: format!("sealed body for {recipient}"),
    }
}

/// An invitation to `tenant_id` for `email` as `role`, working for `ttl`.
pub(crate) fn invitation(
    tenant_id: Uuid,
    email: &str,
    role: MemberRole,
    token_hash: &str,
    ttl: Duration,
) -> NewInvitation {
    NewInvitation {
        tenant_id,
        email: email.into(),
        role,
        token_hash: token_hash.into(),
        ttl,
    }
}

/// A new account `email` that joined `tenant_id` as `role` by accepting an invitation.
pub(crate) async fn member(
    store: &dyn Store,
    tenant_id: Uuid,
    email: &str,
    role: MemberRole,
) -> User {
    let token = unique("invite");
    store
        .create_invitation(
            invitation(tenant_id, email, role, &token, Duration::days(1)),
            mail("invitation", email),
            &actor(),
        )
        .await
        .expect("create an invitation");
    let account = InviteeAccount {
        name: format!("Name of {email}"),
        password_hash: Some(format!("hash of {email}")),
    };
    match store.accept_invitation(&token, account).await {
        Ok(OneTime::Usable(u)) => u,
        other => panic!("accepting a fresh invitation: {other:?}"),
    }
}

/// An e-mail address no other check uses.
pub(crate) fn email() -> String {
    format!("{}@example.com", unique("user"))
}

/// Seats in use of a license, as `get_license` reports them.
pub(crate) async fn seats_used(store: &dyn Store, tenant_id: Uuid, license_id: Uuid) -> i64 {
    let l = store
        .get_license(tenant_id, license_id)
        .await
        .expect("get_license");
    l.expect("the license exists").seats_used
}

/// The field of a `Conflict`, or `None` for any other result. The one place that knows
/// how a conflict names its field.
pub(crate) fn conflict_field(e: &StoreError) -> Option<ConflictField> {
    match e {
        StoreError::Conflict(field) => Some(*field),
        _ => None,
    }
}

/// Asserts that `r` is a `Conflict` on `field`.
#[track_caller]
pub(crate) fn assert_conflict<T: Debug>(r: StoreResult<T>, field: ConflictField) {
    match r {
        Err(ref e) if conflict_field(e) == Some(field) => {}
        other => panic!("expected a conflict on {field:?}, got {other:?}"),
    }
}

/// Follows a listing from its first page to its last, `limit` items a page, checking that
/// every page but the last is full and points at its own last item; returns every item.
pub(crate) async fn all_pages<T, F, Fut>(limit: u32, id_of: impl Fn(&T) -> Uuid, mut f: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = StoreResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let page = f(PageRequest { limit, after }).await.expect("list a page");
        assert!(page.items.len() <= limit as usize, "a page over its limit");
        match page.next_after {
            Some(next) => {
                assert_eq!(
                    page.items.len(),
                    limit as usize,
                    "a short page with a next page"
                );
                assert_eq!(
                    page.items.last().map(&id_of),
                    Some(next),
                    "the cursor is the page's last item"
                );
                items.extend(page.items);
                after = Some(next);
            }
            None => {
                items.extend(page.items);
                return items;
            }
        }
    }
    panic!("a listing that never ends");
}

/// A tenant's whole audit log, newest first.
pub(crate) async fn audit_log(store: &dyn Store, tenant_id: Uuid) -> Vec<AuditEntry> {
    all_pages(
        200,
        |e: &AuditEntry| e.id,
        |p| store.list_audit(tenant_id, p),
    )
    .await
}

/// How many entries of `action` a tenant's audit log holds.
pub(crate) async fn audited(store: &dyn Store, tenant_id: Uuid, action: &str) -> usize {
    audit_log(store, tenant_id)
        .await
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// Sleeps on the test's clock (for TTLs and leases of a second, the shortest there are).
pub(crate) async fn sleep_ms(ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// The start of the slot of `slot_secs` holding the database's now, after waiting out the
/// last `margin_secs` of a slot, so that what a check samples and counts falls in one slot.
pub(crate) async fn quiet_slot(
    store: &dyn Store,
    slot_secs: i64,
    margin_secs: i64,
) -> DateTime<Utc> {
    loop {
        let now = store.now().await.expect("now");
        let start = now.timestamp().div_euclid(slot_secs) * slot_secs;
        let left = start + slot_secs - now.timestamp();
        if left > margin_secs {
            return DateTime::from_timestamp(start, 0).expect("a valid time");
        }
        sleep_ms(u64::try_from(left).unwrap_or(0) * 1000 + 200).await;
    }
}

/// Denials of a tenant (or one of its licenses) in `[from, to)`, summed over buckets.
pub(crate) async fn denials(
    store: &dyn Store,
    tenant_id: Uuid,
    license_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    let (_, denials) = store
        .usage_buckets(tenant_id, license_id, from, to, 3600)
        .await
        .expect("usage buckets");
    denials.iter().map(|(_, n)| n).sum()
}

/// Denials of a license in the hour around now.
pub(crate) async fn recent_denials(store: &dyn Store, tenant_id: Uuid, license_id: Uuid) -> i64 {
    let now = store.now().await.expect("now");
    denials(
        store,
        tenant_id,
        Some(license_id),
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await
}
