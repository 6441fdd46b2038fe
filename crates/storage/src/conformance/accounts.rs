//! People: the first user, credentials, profiles and dashboard sessions.

use crate::ConflictField;
use chrono::Duration;
use coditect_domain::{MemberRole, UserProfile};
use futures::future::join_all;

use super::fixtures::{
    all_pages, assert_conflict, conflict_field, email, mail, member, sleep_ms, tenant, unique,
};
use crate::{OneTime, Store};
/// `create_first_user` makes a staff user while no user exists, and only then:
/// `Conflict(ConflictField::User)` afterwards. `has_users` follows.
pub async fn create_first_user_only_while_no_user_exists(store: &dyn Store) {
    assert!(!store.has_users().await.unwrap());
    let u = store
        .create_first_user("root@example.com", "Root", "hash-1")
        .await
        .expect("first");
    assert_eq!(
        (u.email.as_str(), u.name.as_str(), u.is_staff),
        ("root@example.com", "Root", true)
    );
    assert!(store.has_users().await.unwrap());
    assert_conflict(
        store
            .create_first_user("two@example.com", "Two", "hash-2")
            .await,
        ConflictField::User,
    );
    assert!(store
        .user_credentials("two@example.com")
        .await
        .unwrap()
        .is_none());
}

/// First users racing (several setup requests at once) make exactly one.
pub async fn concurrent_first_users_make_exactly_one(store: &dyn Store) {
    let emails: Vec<String> = (0..8).map(|i| format!("setup-{i}@example.com")).collect();
    let outs = join_all(
        emails
            .iter()
            .map(|e| store.create_first_user(e, "Setup", "hash")),
    )
    .await;
    let mut made = 0;
    for out in outs {
        match out {
            Ok(_) => made += 1,
            Err(e) => assert_eq!(conflict_field(&e), Some(ConflictField::User), "{e:?}"),
        }
    }
    assert_eq!(made, 1);
    let users = store.list_users(Default::default()).await.unwrap();
    assert_eq!(users.items.len(), 1);
}

/// `user_credentials` gives the user of an e-mail with the hash to check a password
/// against; an unknown e-mail is `None`.
pub async fn user_credentials_by_email(store: &dyn Store) {
    let u = store
        .create_first_user("ana@example.com", "Ana", "phc-hash")
        .await
        .unwrap();
    let c = store
        .user_credentials("ana@example.com")
        .await
        .unwrap()
        .expect("known");
    assert_eq!((c.user, c.password_hash.as_str()), (u, "phc-hash"));
    assert!(store
        .user_credentials("bo@example.com")
        .await
        .unwrap()
        .is_none());
}

/// `user_profile` gives a user with every membership, in tenant creation order, with the
/// tenant's names and the role; an unknown user is `None`.
pub async fn user_profile_lists_memberships_in_tenant_order(store: &dyn Store) {
    let (a, b, c) = (
        tenant(store).await,
        tenant(store).await,
        tenant(store).await,
    );
    let who = email();
    let u = member(store, b.id, &who, MemberRole::Viewer).await;
    let other = member(store, c.id, &email(), MemberRole::Owner).await;
    // Joining an earlier tenant later still lists it first.
    let token = unique("invite");
    store
        .create_invitation(
            super::fixtures::invitation(a.id, &who, MemberRole::Admin, &token, Duration::days(1)),
            mail("invitation", &who),
            &super::fixtures::actor(),
        )
        .await
        .unwrap();
    let existing = crate::InviteeAccount {
        name: "ignored".into(),
        password_hash: None,
    };
    assert!(matches!(
        store.accept_invitation(&token, existing).await.unwrap(),
        OneTime::Usable(_)
    ));
    let p = store.user_profile(u.id).await.unwrap().expect("known");
    assert_eq!(p.user, u);
    let got: Vec<_> = p
        .memberships
        .iter()
        .map(|m| {
            (
                m.tenant_id,
                m.tenant_name.as_str(),
                m.tenant_slug.as_str(),
                m.role,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (a.id, a.name.as_str(), a.slug.as_str(), MemberRole::Admin),
            (b.id, b.name.as_str(), b.slug.as_str(), MemberRole::Viewer)
        ]
    );
    assert_eq!(
        (p.role_in(a.id), p.role_in(c.id)),
        (Some(MemberRole::Admin), None)
    );
    assert_eq!(
        store
            .user_profile(other.id)
            .await
            .unwrap()
            .unwrap()
            .memberships
            .len(),
        1
    );
    assert!(store
        .user_profile(uuid::Uuid::now_v7())
        .await
        .unwrap()
        .is_none());
}

/// `list_users` pages through every user, oldest first, each with their memberships.
pub async fn list_users_pages_oldest_first(store: &dyn Store) {
    let root = store
        .create_first_user("root@example.com", "Root", "h")
        .await
        .unwrap();
    let t = tenant(store).await;
    let mut made = vec![root.id];
    for _ in 0..4 {
        made.push(member(store, t.id, &email(), MemberRole::Viewer).await.id);
    }
    let all = all_pages(2, |p: &UserProfile| p.user.id, |p| store.list_users(p)).await;
    assert_eq!(all.iter().map(|p| p.user.id).collect::<Vec<_>>(), made);
    assert!(all[0].memberships.is_empty());
    assert!(all[1..]
        .iter()
        .all(|p| p.memberships.len() == 1 && p.memberships[0].tenant_id == t.id));
}

/// A dashboard session gives its user (with memberships) until it is idle past `idle` or
/// past its absolute lifetime, whichever comes first.
pub async fn web_session_lives_until_idle_or_absolute_expiry(store: &dyn Store) {
    let t = tenant(store).await;
    let u = member(store, t.id, &email(), MemberRole::Admin).await;
    let (long, idle_short, absolute_short) = (unique("ws"), unique("ws"), unique("ws"));
    store
        .create_web_session(&long, u.id, Duration::hours(1), Duration::hours(12))
        .await
        .unwrap();
    store
        .create_web_session(&idle_short, u.id, Duration::seconds(1), Duration::hours(12))
        .await
        .unwrap();
    store
        .create_web_session(
            &absolute_short,
            u.id,
            Duration::hours(1),
            Duration::seconds(1),
        )
        .await
        .unwrap();
    let p = store
        .web_session_user(&long, Duration::hours(1))
        .await
        .unwrap()
        .expect("live");
    assert_eq!(
        (p.user.id, p.role_in(t.id)),
        (u.id, Some(MemberRole::Admin))
    );
    assert!(store
        .web_session_user("no such session", Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    sleep_ms(1200).await;
    assert!(store
        .web_session_user(&idle_short, Duration::seconds(1))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .web_session_user(&absolute_short, Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .web_session_user(&long, Duration::hours(1))
        .await
        .unwrap()
        .is_some());
}

/// `delete_web_session` signs a session out; deleting an unknown one is not an error, and
/// the user's other sessions stay.
pub async fn delete_web_session_signs_out_and_tolerates_unknown(store: &dyn Store) {
    let u = store
        .create_first_user("root@example.com", "Root", "h")
        .await
        .unwrap();
    let (a, b) = (unique("ws"), unique("ws"));
    for s in [&a, &b] {
        store
            .create_web_session(s, u.id, Duration::hours(1), Duration::hours(2))
            .await
            .unwrap();
    }
    store.delete_web_session(&a).await.unwrap();
    store.delete_web_session(&a).await.unwrap();
    store.delete_web_session("never existed").await.unwrap();
    assert!(store
        .web_session_user(&a, Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .web_session_user(&b, Duration::hours(1))
        .await
        .unwrap()
        .is_some());
}
