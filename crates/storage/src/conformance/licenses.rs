//! Licenses: created, read within their tenant, found by key and patched.

use crate::ConflictField;
use chrono::Duration;
use coditect_domain::{LicenseFilter, LicensePatch};
use serde_json::json;
use uuid::Uuid;

use super::fixtures::{
    actor, assert_conflict, audit_log, audited, create_license, license, new_license, take, tenant,
};
use crate::Store;

/// `create_license` stores every field as given, with no seat used.
pub async fn create_license_returns_it_with_no_seat_used(store: &dyn Store) {
    let t = tenant(store).await;
    let mut new = new_license(t.id, 7, 120);
    new.expires_at = Some(store.now().await.unwrap() + Duration::days(30));
    new.metadata.insert("plan".into(), json!("gold"));
    new.max_borrow_hours = 48;
    let out = store.create_license(new.clone(), &actor()).await.unwrap();
    let l = &out.license;
    assert_eq!(out.seats_used, 0);
    assert_eq!(
        (l.tenant_id, &l.name, &l.key_sealed),
        (t.id, &new.name, &new.key_sealed)
    );
    assert_eq!((&l.key_hint, l.seats_total), (&new.key_hint, 7));
    assert_eq!(
        (l.expires_at, l.heartbeat_ttl_seconds),
        (new.expires_at, 120)
    );
    assert_eq!(
        (&l.entitlements, &l.metadata),
        (&new.entitlements, &new.metadata)
    );
    assert_eq!((l.is_active, l.max_borrow_hours), (true, 48));
    assert_eq!(l.created_at, l.updated_at);
    let got = store
        .get_license(t.id, l.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!((got.license, got.seats_used), (out.license, 0));
}

/// A license key (its hash) belongs to one license: `Conflict(ConflictField::LicenseKey)`.
pub async fn create_license_refuses_a_taken_key(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let first = new_license(t.id, 1, 60);
    let mut second = new_license(other.id, 1, 60);
    second.key_hash.clone_from(&first.key_hash);
    store.create_license(first, &actor()).await.unwrap();
    assert_conflict(
        store.create_license(second, &actor()).await,
        ConflictField::LicenseKey,
    );
    assert!(store
        .list_licenses(other.id, &LicenseFilter::default(), Default::default())
        .await
        .unwrap()
        .items
        .is_empty());
}

/// `get_license` answers only within the license's own tenant, with its live seats.
pub async fn get_license_is_scoped_to_its_tenant(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (l, key) = license(store, t.id, 3, 60).await;
    take(store, &key, "hw-1").await;
    take(store, &key, "hw-2").await;
    let got = store.get_license(t.id, l.id).await.unwrap().expect("own");
    assert_eq!((got.license.id, got.seats_used), (l.id, 2));
    assert!(got.now >= l.created_at);
    assert_eq!(store.get_license(other.id, l.id).await.unwrap(), None);
    assert_eq!(store.get_license(t.id, Uuid::now_v7()).await.unwrap(), None);
}

/// `find_license_by_key` finds a license by its key hash whatever its tenant (`validate`
/// knows no tenant), with its live seats; an unknown hash is `None`.
pub async fn find_license_by_key_finds_it_with_its_seats(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 60).await;
    license(store, t.id, 2, 60).await;
    take(store, &key, "hw-1").await;
    let found = store
        .find_license_by_key(&key)
        .await
        .unwrap()
        .expect("found");
    assert_eq!((found.license, found.seats_used), (l, 1));
    assert_eq!(
        store.find_license_by_key("no such key").await.unwrap(),
        None
    );
}

/// `update_license` applies each field a patch names, `Some(None)` clearing, and leaves
/// the others; the change is audited once with the state before and after.
pub async fn update_license_applies_every_field_of_a_patch(store: &dyn Store) {
    let t = tenant(store).await;
    let mut new = new_license(t.id, 2, 60);
    new.expires_at = Some(store.now().await.unwrap() + Duration::days(3));
    let (l, _) = create_license(store, new).await;
    let expires = store.now().await.unwrap() + Duration::days(9);
    let patch = LicensePatch {
        name: Some(Some("renamed".into())),
        seats_total: Some(9),
        expires_at: Some(Some(expires)),
        heartbeat_ttl_seconds: Some(30),
        entitlements: Some(vec!["x".into(), "y".into()]),
        metadata: Some(json!({"k": 1}).as_object().cloned().unwrap()),
        is_active: Some(false),
        max_borrow_hours: Some(12),
        subscription: Some(Some(coditect_domain::Subscription {
            provider: "stripe".into(),
            id: "sub_patch".into(),
            customer_id: "cus_patch".into(),
            status: coditect_domain::SubscriptionStatus::PastDue,
            current_period_end: Some(expires),
            cancel_at_period_end: true,
        })),
        archived: Some(true),
    };
    let out = store
        .update_license(t.id, l.id, &patch, &actor())
        .await
        .unwrap()
        .expect("the tenant's license");
    let u = &out.license;
    assert_eq!(
        (u.name.as_deref(), u.seats_total, u.expires_at),
        (Some("renamed"), 9, Some(expires))
    );
    assert_eq!(
        (u.heartbeat_ttl_seconds, u.is_active, u.max_borrow_hours),
        (30, false, 12)
    );
    assert_eq!(
        (u.entitlements.clone(), u.metadata.get("k")),
        (vec!["x".into(), "y".into()], Some(&json!(1)))
    );
    assert_eq!(
        (u.id, &u.key_sealed, &u.key_hint, u.created_at),
        (l.id, &l.key_sealed, &l.key_hint, l.created_at)
    );
    assert!(u.updated_at >= l.updated_at);
    assert!(u.archived_at.is_some_and(|at| at >= l.created_at));
    let clear = LicensePatch {
        name: Some(None),
        expires_at: Some(None),
        ..LicensePatch::default()
    };
    let cleared = store
        .update_license(t.id, l.id, &clear, &actor())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&cleared.license.name, cleared.license.expires_at),
        (&None, None)
    );
    assert_eq!(cleared.license.seats_total, 9, "fields not named stay");
    let got = store.get_license(t.id, l.id).await.unwrap().unwrap();
    assert_eq!(got.license, cleared.license);
    let entries = audit_log(store, t.id).await;
    let updates: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "license.update")
        .collect();
    assert_eq!(updates.len(), 2);
    let first = updates[1];
    assert_eq!(first.resource_id, l.id);
    let (before, after) = (
        first.before.as_ref().unwrap(),
        first.after.as_ref().unwrap(),
    );
    assert_eq!(
        (
            before["seats_total"].as_i64(),
            after["seats_total"].as_i64()
        ),
        (Some(2), Some(9))
    );
    assert!(
        after.get("key_sealed").is_none(),
        "the audit log never holds a key: {after}"
    );
}

/// A patch that changes nothing (empty, or every value as it is) writes nothing and
/// audits nothing.
pub async fn update_license_without_a_change_writes_nothing(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, _) = license(store, t.id, 2, 60).await;
    for patch in [
        LicensePatch::default(),
        LicensePatch {
            seats_total: Some(2),
            is_active: Some(true),
            ..LicensePatch::default()
        },
    ] {
        let out = store
            .update_license(t.id, l.id, &patch, &actor())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out.license, l);
    }
    assert_eq!(audited(store, t.id, "license.update").await, 0);
}

/// `update_license` of a license that is not the tenant's is `None` and changes nothing.
pub async fn update_license_of_another_tenant_is_none(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (l, _) = license(store, t.id, 2, 60).await;
    let patch = LicensePatch {
        seats_total: Some(5),
        ..LicensePatch::default()
    };
    assert_eq!(
        store
            .update_license(other.id, l.id, &patch, &actor())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .update_license(t.id, Uuid::now_v7(), &patch, &actor())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .get_license(t.id, l.id)
            .await
            .unwrap()
            .unwrap()
            .license
            .seats_total,
        2
    );
}
