//! The audit log: each audited write leaves exactly one entry, with who did it and the
//! state before and after; seat traffic and writes that change nothing leave none; a
//! tenant's log lists newest first, its own entries only.

use chrono::Duration;
use coditect_domain::{Actor, ActorType, AuditAction, AuditEntry, LicensePatch, MemberRole, Role};
use uuid::Uuid;

use super::fixtures::{
    acquire, actor, all_pages, audit_log, invitation, license, mail, member, new_tenant, sleep_ms,
    take, tenant, token_actor, unique,
};
use crate::{InviteeAccount, NewApiToken, Store};

/// `list_audit` pages through one tenant's entries, newest first, none of another's.
pub async fn list_audit_pages_newest_first_per_tenant(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    for _ in 0..4 {
        license(store, t.id, 1, 60).await;
        license(store, other.id, 1, 60).await;
    }
    let log = all_pages(2, |e: &AuditEntry| e.id, |p| store.list_audit(t.id, p)).await;
    assert_eq!(log.len(), 5, "tenant.create and four license.create");
    assert!(log.iter().all(|e| e.tenant_id == t.id));
    assert!(
        log.windows(2)
            .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at),
        "newest first"
    );
    assert_eq!(log.last().map(|e| e.action.as_str()), Some("tenant.create"));
    assert!(all_pages(
        2,
        |e: &AuditEntry| e.id,
        |p| store.list_audit(Uuid::now_v7(), p)
    )
    .await
    .is_empty());
}

/// Every audited write, in turn, adds one entry naming its action, resource, resource id
/// and actor, and nothing else: tenant, token create and revoke, license create, update
/// and bulk suspension, forced release, expiry, invitation, and member add, update and
/// removal.
pub async fn every_audited_write_leaves_one_entry(store: &dyn Store) {
    let by = token_actor();
    let mut expected: Vec<(AuditAction, Uuid, Actor)> = Vec::new();
    let slug = unique("audited");
    let t = store
        .create_tenant(new_tenant("Audited", &slug), &by)
        .await
        .unwrap();
    expected.push((AuditAction::TenantCreate, t.id, by.clone()));
    let new_token = NewApiToken {
        tenant_id: Some(t.id),
        name: "ci".into(),
        role: Role::Admin,
        secret_hash: unique("secret"),
        created_by_user_id: None,
        made_by_user_id: None,
    };
    let tok = store.create_token(new_token, Some(&by)).await.unwrap();
    expected.push((AuditAction::TokenCreate, tok.id, by.clone()));
    store.revoke_token(t.id, tok.id, &by).await.unwrap();
    expected.push((AuditAction::TokenRevoke, tok.id, by.clone()));
    let (l, key) = license(store, t.id, 2, 60).await;
    expected.push((AuditAction::LicenseCreate, l.id, actor()));
    let patch = LicensePatch {
        seats_total: Some(3),
        ..LicensePatch::default()
    };
    store.update_license(t.id, l.id, &patch, &by).await.unwrap();
    expected.push((AuditAction::LicenseUpdate, l.id, by.clone()));
    let s = take(store, &key, "hw").await;
    store.force_release(t.id, s.id, &by).await.unwrap();
    expected.push((AuditAction::SessionForceRelease, s.id, by.clone()));
    store
        .set_licenses_active(t.id, &[l.id], false, &by)
        .await
        .unwrap();
    expected.push((AuditAction::LicenseUpdate, l.id, by.clone()));
    let (short_license, short) = license(store, t.id, 1, 1).await;
    expected.push((AuditAction::LicenseCreate, short_license.id, actor()));
    let dying = take(store, &short, "hw").await;
    sleep_ms(1200).await;
    assert_eq!(store.reap_expired(10).await.unwrap(), 1);
    expected.push((AuditAction::SessionExpire, dying.id, Actor::reaper()));
    let inv = invitation(
        t.id,
        "owner@example.com",
        MemberRole::Owner,
        "tok",
        Duration::days(1),
    );
    let inv = store
        .create_invitation(inv, mail("invitation", "owner@example.com"), &by)
        .await
        .unwrap();
    expected.push((AuditAction::InvitationCreate, inv.id, by.clone()));
    let account = InviteeAccount {
        name: "Owner".into(),
        password_hash: Some("h".into()),
    };
    let owner = match store.accept_invitation("tok", account).await.unwrap() {
        crate::OneTime::Usable(u) => u,
        other => panic!("{other:?}"),
    };
    let as_user = Actor {
        actor_type: ActorType::User,
        id: Some(owner.id),
        name: Some(owner.email.clone()),
    };
    expected.push((AuditAction::MemberAdd, owner.id, as_user));
    let admin_email = "admin@example.com";
    let admin = member(store, t.id, admin_email, MemberRole::Admin).await;
    let admin_actor = Actor {
        actor_type: ActorType::User,
        id: Some(admin.id),
        name: Some(admin.email.clone()),
    };
    // `member` invites (audited as the checks' actor) and accepts (as the new user).
    let log = audit_log(store, t.id).await;
    expected.push((AuditAction::InvitationCreate, log[1].resource_id, actor()));
    expected.push((AuditAction::MemberAdd, admin.id, admin_actor));
    store
        .update_member(t.id, admin.id, MemberRole::Viewer, &by)
        .await
        .unwrap();
    expected.push((AuditAction::MemberUpdate, admin.id, by.clone()));
    store.remove_member(t.id, admin.id, &by).await.unwrap();
    expected.push((AuditAction::MemberRemove, admin.id, by.clone()));

    let log = audit_log(store, t.id).await;
    let got: Vec<_> = log
        .iter()
        .rev()
        .map(|e| {
            (
                e.action.as_str(),
                e.resource.as_str(),
                e.resource_id,
                &e.actor,
            )
        })
        .collect();
    let want: Vec<_> = expected
        .iter()
        .map(|(a, id, who)| (a.as_str(), a.resource(), *id, who))
        .collect();
    assert_eq!(got, want);
    for e in &log {
        let creates = matches!(
            e.action.as_str(),
            "tenant.create" | "token.create" | "license.create" | "invitation.create"
        );
        assert_eq!(
            e.before.is_none(),
            creates || e.action == "member.add",
            "before of {}",
            e.action
        );
        assert_eq!(
            e.after.is_none(),
            e.action == "member.remove",
            "after of {}",
            e.action
        );
    }
    let tenant_after = log
        .iter()
        .find(|e| e.action == "tenant.create")
        .unwrap()
        .after
        .clone()
        .unwrap();
    assert_eq!(tenant_after["slug"], slug.as_str());
    let token_after = log
        .iter()
        .find(|e| e.action == "token.create")
        .unwrap()
        .after
        .clone()
        .unwrap();
    assert!(
        !token_after.to_string().contains("secret"),
        "no secret in the log: {token_after}"
    );
}

/// Seat traffic (acquire, refusal, heartbeat, release), an unchanged license, a second
/// revocation, a token made without an actor and a superadmin token leave no entry.
pub async fn seat_traffic_and_no_op_writes_leave_no_entry(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let tok = store
        .create_token(
            NewApiToken {
                tenant_id: Some(t.id),
                name: "x".into(),
                role: Role::Admin,
                secret_hash: unique("s"),
                created_by_user_id: None,
                made_by_user_id: None,
            },
            Some(&actor()),
        )
        .await
        .unwrap();
    store.revoke_token(t.id, tok.id, &actor()).await.unwrap();
    let before = audit_log(store, t.id).await.len();
    let s = take(store, &key, "hw").await;
    assert!(store.acquire(acquire(&key, "other")).await.is_err());
    store.acquire(acquire(&key, "hw")).await.unwrap();
    store.heartbeat(&key, s.id).await.unwrap();
    store.release(&key, s.id).await.unwrap();
    store.release(&key, s.id).await.unwrap();
    store
        .update_license(t.id, l.id, &LicensePatch::default(), &actor())
        .await
        .unwrap();
    store
        .set_licenses_active(t.id, &[l.id], true, &actor())
        .await
        .unwrap();
    store.revoke_token(t.id, tok.id, &actor()).await.unwrap();
    let quiet = NewApiToken {
        tenant_id: Some(t.id),
        name: "y".into(),
        role: Role::ReadOnly,
        secret_hash: unique("s"),
        created_by_user_id: None,
        made_by_user_id: None,
    };
    store.create_token(quiet, None).await.unwrap();
    let root = NewApiToken {
        tenant_id: None,
        name: "root".into(),
        role: Role::Superadmin,
        secret_hash: unique("s"),
        created_by_user_id: None,
        made_by_user_id: None,
    };
    store.create_token(root, Some(&actor())).await.unwrap();
    assert_eq!(audit_log(store, t.id).await.len(), before);
}

/// `list_audit_filtered` applies every filter before paging (each page full, the cursor
/// going on where the last page ended): actor name (case-insensitive substring, `%` and
/// `_` meaning themselves), resource kind, one resource, action and a time range.
pub async fn list_audit_filters_before_paging(store: &dyn Store) {
    use coditect_domain::AuditFilter;
    let t = tenant(store).await;
    let by = token_actor();
    let mut licenses = Vec::new();
    for _ in 0..3 {
        let (l, _) = license(store, t.id, 1, 60).await;
        let patch = LicensePatch {
            seats_total: Some(2),
            ..LicensePatch::default()
        };
        store.update_license(t.id, l.id, &patch, &by).await.unwrap();
        licenses.push(l);
        sleep_ms(3).await; // distinct times for the range below
    }
    let list = |f: AuditFilter| async move {
        all_pages(
            1,
            |e: &AuditEntry| e.id,
            |p| store.list_audit_filtered(t.id, &f, p),
        )
        .await
    };
    let by_token = list(AuditFilter {
        actor: Some("CI TOK".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        by_token.len(),
        3,
        "the three updates by the token, one a page"
    );
    assert!(by_token.iter().all(|e| e.action == "license.update"));
    assert!(
        by_token.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    let wildcard = list(AuditFilter {
        actor: Some("ci%".into()),
        ..AuditFilter::default()
    })
    .await;
    assert!(wildcard.is_empty(), "% is a character, not a wildcard");
    let of_licenses = list(AuditFilter {
        resource: Some("license".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(of_licenses.len(), 6, "three creates and three updates");
    let one = list(AuditFilter {
        resource_id: Some(licenses[1].id),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(one.len(), 2);
    assert!(one.iter().all(|e| e.resource_id == licenses[1].id));
    let creates = list(AuditFilter {
        action: Some("license.create".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(creates.len(), 3);
    let everything = list(AuditFilter::default()).await;
    assert_eq!(everything.len(), 7, "with tenant.create");
    // A range from the second license's update (inclusive) to the last one's (exclusive).
    let second_update = by_token[1].at;
    let last_update = by_token[0].at;
    let window = list(AuditFilter {
        from: Some(second_update),
        to: Some(last_update),
        ..AuditFilter::default()
    })
    .await;
    assert!(window
        .iter()
        .all(|e| e.at >= second_update && e.at < last_update));
    assert!(window.iter().any(|e| e.id == by_token[1].id));
    assert!(window.iter().all(|e| e.id != by_token[0].id));
    let none = list(AuditFilter {
        from: Some(last_update + Duration::seconds(3600)),
        ..AuditFilter::default()
    })
    .await;
    assert!(none.is_empty());
}
