//! Invitations: created (audited, their mail queued), looked up, and accepted once, making
//! or attaching the account and the membership.

use crate::ConflictField;
use chrono::Duration;
use coditect_domain::{ActorType, MemberRole};

use super::fixtures::{
    actor, assert_conflict, audit_log, audited, email, invitation, mail, member, sleep_ms, tenant,
};
use crate::{InviteeAccount, OneTime, Store};

fn new_account(name: &str) -> InviteeAccount {
    InviteeAccount {
        name: name.into(),
        password_hash: Some(format!("hash of {name}")),
    }
}

fn existing_account() -> InviteeAccount {
    InviteeAccount {
        name: "unused".into(),
        password_hash: None,
    }
}

/// `create_invitation` returns the invitation (pending, working for its TTL), audits it
/// and queues its mail; `invitation` finds it by token hash, unknown hashes `Unknown`.
pub async fn create_invitation_audits_and_queues_its_mail(store: &dyn Store) {
    let t = tenant(store).await;
    let who = email();
    let new = invitation(
        t.id,
        &who,
        MemberRole::Admin,
        "inv-token",
        Duration::hours(5),
    );
    let inv = store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    assert_eq!(
        (inv.tenant_id, inv.email.as_str(), inv.role),
        (t.id, who.as_str(), MemberRole::Admin)
    );
    assert_eq!(
        (inv.expires_at, inv.accepted_at),
        (inv.created_at + Duration::hours(5), None)
    );
    assert_eq!(
        store.invitation("inv-token").await.unwrap(),
        OneTime::Usable(inv.clone())
    );
    assert_eq!(store.invitation("other").await.unwrap(), OneTime::Unknown);
    let log = audit_log(store, t.id).await;
    assert_eq!(
        (log[0].action.as_str(), log[0].resource_id, &log[0].actor),
        ("invitation.create", inv.id, &actor())
    );
    let mails = store.claim_mails(10, Duration::minutes(1)).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        (mails[0].kind.as_str(), mails[0].recipient.as_str()),
        ("invitation", who.as_str())
    );
    assert_eq!(mails[0].body_sealed, format!("sealed body for {who}"));
}

/// Accepting with a new e-mail makes the account (not staff) and the membership, audited
/// as the new user's own act; the invitation is then spent, for looking and for using.
pub async fn accept_invitation_creates_a_new_account_once(store: &dyn Store) {
    let t = tenant(store).await;
    let who = email();
    let new = invitation(t.id, &who, MemberRole::Viewer, "tok", Duration::hours(1));
    let inv = store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    let u = match store
        .accept_invitation("tok", new_account("Cleo"))
        .await
        .unwrap()
    {
        OneTime::Usable(u) => u,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (u.email.as_str(), u.name.as_str(), u.is_staff),
        (who.as_str(), "Cleo", false)
    );
    let c = store
        .user_credentials(&who)
        .await
        .unwrap()
        .expect("account made");
    assert_eq!(
        (c.user.id, c.password_hash.as_str()),
        (u.id, "hash of Cleo")
    );
    let m = store.get_member(t.id, u.id).await.unwrap().expect("member");
    assert_eq!(
        (m.email.as_str(), m.role),
        (who.as_str(), MemberRole::Viewer)
    );
    let log = audit_log(store, t.id).await;
    let add = &log[0];
    assert_eq!((add.action.as_str(), add.resource_id), ("member.add", u.id));
    assert_eq!(
        (add.actor.actor_type, add.actor.id),
        (ActorType::User, Some(u.id))
    );
    assert_eq!(
        add.after.as_ref().unwrap()["invitation_id"],
        inv.id.to_string()
    );
    assert_eq!(store.invitation("tok").await.unwrap(), OneTime::Spent);
    assert_eq!(
        store
            .accept_invitation("tok", new_account("Again"))
            .await
            .unwrap(),
        OneTime::Spent
    );
    assert_eq!(
        store
            .accept_invitation("unknown", new_account("X"))
            .await
            .unwrap(),
        OneTime::Unknown
    );
    assert_eq!(audited(store, t.id, "member.add").await, 1);
}

/// Accepting for an e-mail that has an account (no password hash given) adds the
/// membership to that account.
pub async fn accept_invitation_attaches_an_existing_account(store: &dyn Store) {
    let (a, b) = (tenant(store).await, tenant(store).await);
    let who = email();
    let u = member(store, a.id, &who, MemberRole::Owner).await;
    let new = invitation(b.id, &who, MemberRole::Admin, "tok-b", Duration::hours(1));
    store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    assert_eq!(
        store
            .accept_invitation("tok-b", existing_account())
            .await
            .unwrap(),
        OneTime::Usable(u.clone())
    );
    let p = store.user_profile(u.id).await.unwrap().unwrap();
    assert_eq!(
        (p.role_in(a.id), p.role_in(b.id)),
        (Some(MemberRole::Owner), Some(MemberRole::Admin))
    );
    assert_eq!(
        store
            .list_users(Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// When the account's existence changed since the caller looked (a new account asked for
/// an e-mail that has one, or an existing one for an e-mail that has none), accepting is
/// `Conflict(ConflictField::Email)` and the invitation stays usable for the retry.
pub async fn accept_invitation_conflicts_when_the_account_changed(store: &dyn Store) {
    let t = tenant(store).await;
    let taken = email();
    member(store, t.id, &taken, MemberRole::Owner).await;
    let fresh = email();
    for (who, tok) in [(&taken, "tok-taken"), (&fresh, "tok-fresh")] {
        let new = invitation(t.id, who, MemberRole::Viewer, tok, Duration::hours(1));
        store
            .create_invitation(new, mail("invitation", who), &actor())
            .await
            .unwrap();
    }
    assert_conflict(
        store
            .accept_invitation("tok-taken", new_account("Dup"))
            .await,
        ConflictField::Email,
    );
    assert_conflict(
        store
            .accept_invitation("tok-fresh", existing_account())
            .await,
        ConflictField::Email,
    );
    for tok in ["tok-taken", "tok-fresh"] {
        assert!(
            matches!(store.invitation(tok).await.unwrap(), OneTime::Usable(_)),
            "{tok}"
        );
    }
    assert!(store.user_credentials(&fresh).await.unwrap().is_none());
    assert!(matches!(
        store
            .accept_invitation("tok-fresh", new_account("Fresh"))
            .await
            .unwrap(),
        OneTime::Usable(_)
    ));
}

/// Accepting an invitation to a tenant one is a member of already changes the role: one
/// membership, the new role.
pub async fn accept_invitation_changes_an_existing_membership(store: &dyn Store) {
    let t = tenant(store).await;
    let who = email();
    member(store, t.id, &email(), MemberRole::Owner).await;
    let u = member(store, t.id, &who, MemberRole::Viewer).await;
    let new = invitation(t.id, &who, MemberRole::Admin, "promote", Duration::hours(1));
    store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    assert_eq!(
        store
            .accept_invitation("promote", existing_account())
            .await
            .unwrap(),
        OneTime::Usable(u.clone())
    );
    let members = store.list_members(t.id, Default::default()).await.unwrap();
    assert_eq!(members.items.len(), 2);
    assert_eq!(
        store.get_member(t.id, u.id).await.unwrap().unwrap().role,
        MemberRole::Admin
    );
    let log = audit_log(store, t.id).await;
    assert_eq!(log[0].before.as_ref().unwrap()["role"], "viewer");
    assert_eq!(log[0].after.as_ref().unwrap()["role"], "admin");
}

/// An invitation past its lifetime is spent, and accepting it makes nothing.
pub async fn expired_invitation_is_spent(store: &dyn Store) {
    let t = tenant(store).await;
    let who = email();
    let new = invitation(
        t.id,
        &who,
        MemberRole::Viewer,
        "short",
        Duration::seconds(1),
    );
    store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    sleep_ms(1200).await;
    assert_eq!(store.invitation("short").await.unwrap(), OneTime::Spent);
    assert_eq!(
        store
            .accept_invitation("short", new_account("Late"))
            .await
            .unwrap(),
        OneTime::Spent
    );
    assert!(store.user_credentials(&who).await.unwrap().is_none());
    assert!(store
        .list_members(t.id, Default::default())
        .await
        .unwrap()
        .items
        .is_empty());
}
