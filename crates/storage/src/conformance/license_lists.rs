//! The licenses page: listing (filtered, paged) and suspending or resuming in bulk.

use chrono::Duration;
use coditect_domain::{ArchivedFilter, LicenseFilter, LicensePatch, LicenseState};
use uuid::Uuid;

use super::fixtures::{
    actor, all_pages, audited, create_license, license, new_license, take, tenant,
};
use crate::{LicenseWithUsage, Store};

fn id_of(l: &LicenseWithUsage) -> Uuid {
    l.license.id
}

/// `set_licenses_active` changes the tenant's licenses among the ids that are not yet in
/// that state (others' ids, unknown and repeated ids ignored), audits each and counts them.
pub async fn set_licenses_active_changes_only_the_tenants_licenses(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (a, _) = license(store, t.id, 1, 60).await;
    let (b, _) = license(store, t.id, 1, 60).await;
    let mut suspended = new_license(t.id, 1, 60);
    suspended.is_active = false;
    let (c, _) = create_license(store, suspended).await;
    let (theirs, _) = license(store, other.id, 1, 60).await;
    let ids = [a.id, c.id, theirs.id, Uuid::now_v7(), a.id];
    assert_eq!(
        store
            .set_licenses_active(t.id, &ids, false, &actor())
            .await
            .unwrap(),
        1
    );
    let active = |id| async move {
        store
            .get_license(t.id, id)
            .await
            .unwrap()
            .unwrap()
            .license
            .is_active
    };
    assert!(!active(a.id).await && active(b.id).await && !active(c.id).await);
    assert!(
        store
            .get_license(other.id, theirs.id)
            .await
            .unwrap()
            .unwrap()
            .license
            .is_active
    );
    assert_eq!(audited(store, t.id, "license.update").await, 1);
    assert_eq!(audited(store, other.id, "license.update").await, 0);
    let all = [a.id, b.id, c.id];
    assert_eq!(
        store
            .set_licenses_active(t.id, &all, true, &actor())
            .await
            .unwrap(),
        2
    );
    assert!(active(a.id).await && active(b.id).await && active(c.id).await);
    assert_eq!(
        store
            .set_licenses_active(t.id, &all, true, &actor())
            .await
            .unwrap(),
        0
    );
    assert_eq!(audited(store, t.id, "license.update").await, 3);
}

/// `list_licenses` pages through one tenant's licenses, oldest first, each with its live
/// seats, and none of another tenant.
pub async fn list_licenses_pages_oldest_first(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let mut made = Vec::new();
    for i in 0..5 {
        let (l, key) = license(store, t.id, 3, 60).await;
        for s in 0..(i % 3) {
            take(store, &key, &format!("hw-{s}")).await;
        }
        license(store, other.id, 1, 60).await;
        made.push((l.id, i64::from(i % 3)));
    }
    let all = LicenseFilter::default();
    let listed = all_pages(2, id_of, |p| store.list_licenses(t.id, &all, p)).await;
    let got: Vec<_> = listed
        .iter()
        .map(|l| (l.license.id, l.seats_used))
        .collect();
    assert_eq!(got, made);
}

/// The listing's filters: `q` is a case-insensitive substring of the name or key hint
/// (`%` and `_` literal), `state` the state now (suspension wins over expiry), and
/// `expires_before` excludes licenses that never expire.
pub async fn list_licenses_filters_by_text_state_and_expiry(store: &dyn Store) {
    let t = tenant(store).await;
    let now = store.now().await.unwrap();
    let spec = |name: &str, active: bool, expires: Option<Duration>| {
        let mut l = new_license(t.id, 1, 60);
        l.key_hint = format!("QQ{}", &name[..2].to_uppercase());
        l.name = Some(name.into());
        l.is_active = active;
        l.expires_at = expires.map(|d| now + d);
        l
    };
    let valid = create_license(store, spec("Alpha 100%", true, None))
        .await
        .0;
    let soon = create_license(store, spec("alpha_beta", true, Some(Duration::days(2))))
        .await
        .0;
    let expired = create_license(store, spec("Gamma", true, Some(Duration::days(-1))))
        .await
        .0;
    let suspended = create_license(store, spec("Delta", false, Some(Duration::days(-1))))
        .await
        .0;
    let ids = |filter: LicenseFilter| async move {
        let listed = all_pages(10, id_of, |p| store.list_licenses(t.id, &filter, p)).await;
        listed.into_iter().map(|l| l.license.id).collect::<Vec<_>>()
    };
    let q = |s: &str| LicenseFilter {
        q: Some(s.into()),
        ..LicenseFilter::default()
    };
    assert_eq!(ids(q("ALPHA")).await, vec![valid.id, soon.id]);
    assert_eq!(ids(q("100%")).await, vec![valid.id]);
    assert_eq!(ids(q("a_b")).await, vec![soon.id]);
    assert_eq!(ids(q("a%b")).await, Vec::<Uuid>::new());
    assert_eq!(expired.key_hint, "QQGA");
    assert_eq!(ids(q("qqga")).await, vec![expired.id]);
    let state = |s| LicenseFilter {
        state: Some(s),
        ..LicenseFilter::default()
    };
    assert_eq!(
        ids(state(LicenseState::Valid)).await,
        vec![valid.id, soon.id]
    );
    assert_eq!(ids(state(LicenseState::Expired)).await, vec![expired.id]);
    assert_eq!(
        ids(state(LicenseState::Suspended)).await,
        vec![suspended.id]
    );
    let before = LicenseFilter {
        expires_before: Some(now + Duration::days(3)),
        ..LicenseFilter::default()
    };
    assert_eq!(ids(before).await, vec![soon.id, expired.id, suspended.id]);
    let both = LicenseFilter {
        q: Some("alpha".into()),
        state: Some(LicenseState::Valid),
        expires_before: Some(now + Duration::days(3)),
        ..LicenseFilter::default()
    };
    assert_eq!(ids(both).await, vec![soon.id]);
}

/// The search box's `q` also finds a license by a top-level string or number metadata
/// value (substring), by the full key (its hash), and by a hardware id or user e-mail
/// (whole, e-mail in any ASCII case) that any of its sessions ever had, ended ones
/// included; other tenants' sessions never match.
pub async fn list_licenses_finds_by_key_hash_metadata_and_session(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let mut with_meta = new_license(t.id, 2, 60);
    let meta_values = [
        ("customer", serde_json::json!("Initech Ltd")),
        ("po", serde_json::json!(44_017)),
        ("vip", serde_json::json!(true)),
        ("tags", serde_json::json!(["gold-tier"])),
    ];
    for (k, v) in meta_values {
        with_meta.metadata.insert(k.into(), v);
    }
    let (meta, _) = create_license(store, with_meta).await;
    let (keyed, keyed_hash) = license(store, t.id, 2, 60).await;
    let (seated, seated_hash) = license(store, t.id, 2, 60).await;
    let mut req = super::fixtures::acquire(&seated_hash, "HW-9f3a-77");
    req.user_email = Some("Ana.Lopez@Acme.test".into());
    let session = store.acquire(req).await.unwrap().session;
    store.release(&seated_hash, session.id).await.unwrap();
    let (theirs, theirs_hash) = license(store, other.id, 2, 60).await;
    take(store, &theirs_hash, "HW-theirs").await;
    let ids_of = |tenant: Uuid, q: &str, key_hash: Option<&str>| {
        let filter = LicenseFilter {
            q: Some(q.into()),
            key_hash: key_hash.map(str::to_owned),
            ..LicenseFilter::default()
        };
        async move {
            let listed = all_pages(10, id_of, |p| store.list_licenses(tenant, &filter, p)).await;
            listed.into_iter().map(|l| l.license.id).collect::<Vec<_>>()
        }
    };
    let ids = |q: &str, key_hash: Option<&str>| ids_of(t.id, q, key_hash);
    let none = Vec::<Uuid>::new();
    assert_eq!(ids("initech", None).await, vec![meta.id]);
    assert_eq!(ids("4401", None).await, vec![meta.id]);
    assert_eq!(
        ids("true", None).await,
        none,
        "only strings and numbers match"
    );
    assert_eq!(
        ids("gold-tier", None).await,
        none,
        "only top-level values match"
    );
    assert_eq!(
        ids("the pasted key", Some(&keyed_hash)).await,
        vec![keyed.id]
    );
    assert_eq!(ids("the pasted key", None).await, none);
    assert_eq!(ids("HW-9f3a-77", None).await, vec![seated.id]);
    assert_eq!(
        ids("HW-9f3a", None).await,
        none,
        "a hardware id matches whole"
    );
    assert_eq!(ids("ana.lopez@acme.test", None).await, vec![seated.id]);
    assert_eq!(ids("HW-theirs", None).await, none);
    assert_eq!(
        ids_of(other.id, "HW-theirs", None).await,
        vec![theirs.id],
        "their own search finds it"
    );
}

/// Archiving suspends a license and hides it from `Exclude` listings; resuming an archived
/// license changes nothing; a second archive keeps the first time; unarchiving with a
/// resume in the same patch brings it back in use.
pub async fn archived_licenses_leave_the_listing_and_stay_suspended(store: &dyn Store) {
    let t = tenant(store).await;
    let (a, _) = license(store, t.id, 1, 60).await;
    let (b, _) = license(store, t.id, 1, 60).await;
    let patch = |archived: Option<bool>, is_active: Option<bool>| LicensePatch {
        archived,
        is_active,
        ..LicensePatch::default()
    };
    let archived = store
        .update_license(t.id, b.id, &patch(Some(true), None), &actor())
        .await
        .unwrap()
        .unwrap()
        .license;
    let at = archived.archived_at.expect("archived");
    assert!(!archived.is_active, "archiving suspends");
    let ids = |archived: ArchivedFilter| async move {
        let filter = LicenseFilter {
            archived,
            ..LicenseFilter::default()
        };
        let listed = all_pages(10, id_of, |p| store.list_licenses(t.id, &filter, p)).await;
        listed.into_iter().map(|l| l.license.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(ArchivedFilter::Any).await, vec![a.id, b.id]);
    assert_eq!(ids(ArchivedFilter::Exclude).await, vec![a.id]);
    assert_eq!(ids(ArchivedFilter::Only).await, vec![b.id]);
    let updates = audited(store, t.id, "license.update").await;
    for p in [patch(None, Some(true)), patch(Some(true), Some(true))] {
        let l = store
            .update_license(t.id, b.id, &p, &actor())
            .await
            .unwrap()
            .unwrap()
            .license;
        assert_eq!((l.is_active, l.archived_at), (false, Some(at)));
    }
    assert_eq!(audited(store, t.id, "license.update").await, updates);
    let back = store
        .update_license(t.id, b.id, &patch(Some(false), Some(true)), &actor())
        .await
        .unwrap()
        .unwrap()
        .license;
    assert_eq!((back.is_active, back.archived_at), (true, None));
    assert_eq!(ids(ArchivedFilter::Exclude).await, vec![a.id, b.id]);
}
