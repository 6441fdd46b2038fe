//! The invitation lifecycle after creation: a second invitation to an address replaces
//! the live one, revocation stops a link (audited), and the tenant's list says where each
//! invitation stands (pending, accepted, expired, revoked, replaced).

use chrono::Duration;
use coditect_domain::invitation::InvitationState;
use coditect_domain::{MemberRole, PageRequest};

use futures::future::join;

use super::fixtures::{
    actor, audit_log, audited, email, invitation, mail, member, sleep_ms, tenant,
};
use crate::{InviteeAccount, OneTime, Store};

fn new_account(name: &str) -> InviteeAccount {
    InviteeAccount {
        name: name.into(),
        password_hash: Some(format!("hash of {name}")),
    }
}

/// Inviting an address again in the same tenant replaces its live invitation: the old
/// link is spent, the list shows it `replaced` under the new `pending` one; the same
/// address in another tenant and another address keep theirs.
pub async fn inviting_again_replaces_the_live_invitation(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (who, someone) = (email(), email());
    let by = actor();
    let invite = |tid, addr: &str, tok: &str| {
        let new = invitation(tid, addr, MemberRole::Viewer, tok, Duration::hours(1));
        store.create_invitation(new, mail("invitation", addr), &by)
    };
    let old = invite(t.id, &who, "old-tok").await.unwrap();
    invite(t.id, &someone, "someone-tok").await.unwrap();
    invite(other.id, &who, "other-tok").await.unwrap();
    let new = invite(t.id, &who, "new-tok").await.unwrap();
    assert_eq!(store.invitation("old-tok").await.unwrap(), OneTime::Spent);
    assert_eq!(
        store.invitation("new-tok").await.unwrap(),
        OneTime::Usable(new.clone())
    );
    for tok in ["someone-tok", "other-tok"] {
        assert!(matches!(
            store.invitation(tok).await.unwrap(),
            OneTime::Usable(_)
        ));
    }
    let list = store
        .list_invitations(t.id, None, PageRequest::default())
        .await
        .unwrap();
    let seen: Vec<_> = list
        .items
        .iter()
        .map(|r| (r.invitation.email.clone(), r.state))
        .collect();
    assert_eq!(
        seen,
        vec![
            (who.clone(), InvitationState::Pending),
            (someone.clone(), InvitationState::Pending),
            (who.clone(), InvitationState::Replaced),
        ],
        "newest first"
    );
    let replaced = store.lookup_invitation("old-tok").await.unwrap().unwrap();
    assert_eq!(
        (replaced.invitation.id, replaced.state),
        (old.id, InvitationState::Replaced)
    );
    assert!(replaced.revoked_at.is_some());
    // The replacement is in the log, in the same transaction as the new invitation.
    let log = audit_log(store, t.id).await;
    let revokes: Vec<_> = log
        .iter()
        .filter(|e| e.action == "invitation.revoke")
        .collect();
    assert_eq!(revokes.len(), 1, "one replaced invitation, one entry");
    assert_eq!((revokes[0].resource_id, &revokes[0].actor), (old.id, &by));
    let after = revokes[0].after.as_ref().expect("after");
    assert_eq!(after["state"], "replaced");
    assert_eq!(after["replaced_by"], new.id.to_string());
    assert_eq!(audited(store, other.id, "invitation.revoke").await, 0);
    let pending = store
        .list_invitations(t.id, Some(InvitationState::Pending), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 2);
    assert_eq!(
        store
            .accept_invitation("old-tok", new_account("Late"))
            .await
            .unwrap(),
        OneTime::Spent
    );
}

/// Two invitations of one address made at the same moment leave exactly one pending:
/// the store serializes them, so neither misses the other's row (PostgreSQL under READ
/// COMMITTED would otherwise let both stay live). Each loser is audited as replaced.
pub async fn concurrent_invitations_of_one_address_leave_one_pending(store: &dyn Store) {
    let t = tenant(store).await;
    let by = actor();
    for round in 0..8 {
        let who = email();
        let invite = |tok: String| {
            let new = invitation(t.id, &who, MemberRole::Viewer, &tok, Duration::hours(1));
            store.create_invitation(new, mail("invitation", &who), &by)
        };
        let (a, b) = join(
            invite(format!("race-a-{round}-{who}")),
            invite(format!("race-b-{round}-{who}")),
        )
        .await;
        let (a, b) = (a.expect("first invite"), b.expect("second invite"));
        let page = PageRequest::default();
        let pending = store
            .list_invitations(t.id, Some(InvitationState::Pending), page)
            .await
            .unwrap();
        let live: Vec<_> = pending
            .items
            .iter()
            .filter(|r| r.invitation.email == who)
            .map(|r| r.invitation.id)
            .collect();
        assert_eq!(live.len(), 1, "round {round}: {live:?}");
        assert!(live[0] == a.id || live[0] == b.id, "round {round}");
        let loser = if live[0] == a.id { b.id } else { a.id };
        let log = audit_log(store, t.id).await;
        let replaced = log
            .iter()
            .filter(|e| e.action == "invitation.revoke" && e.resource_id == loser)
            .count();
        assert_eq!(replaced, 1, "round {round}: the replaced one is audited");
    }
}

/// `revoke_invitation` stops a live link at once (audited `invitation.revoke`), only in
/// its own tenant and only once; accepted invitations cannot be revoked.
pub async fn revoke_invitation_stops_the_link_and_is_audited(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let who = email();
    let new = invitation(t.id, &who, MemberRole::Admin, "rev-tok", Duration::hours(1));
    let inv = store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    assert_eq!(
        store
            .revoke_invitation(other.id, inv.id, &actor())
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_invitation(other.id, inv.id).await.unwrap(), None);
    let revoked = store
        .revoke_invitation(t.id, inv.id, &actor())
        .await
        .unwrap()
        .expect("revoked");
    assert_eq!(
        (revoked.invitation.id, revoked.state),
        (inv.id, InvitationState::Revoked)
    );
    assert_eq!(
        store.get_invitation(t.id, inv.id).await.unwrap(),
        Some(revoked)
    );
    assert_eq!(store.invitation("rev-tok").await.unwrap(), OneTime::Spent);
    assert_eq!(
        store
            .accept_invitation("rev-tok", new_account("No"))
            .await
            .unwrap(),
        OneTime::Spent
    );
    assert_eq!(
        store
            .revoke_invitation(t.id, inv.id, &actor())
            .await
            .unwrap(),
        None
    );
    let log = audit_log(store, t.id).await;
    assert_eq!(
        (log[0].action.as_str(), log[0].resource_id, &log[0].actor),
        ("invitation.revoke", inv.id, &actor())
    );
    assert_eq!(audited(store, t.id, "invitation.revoke").await, 1);
    // An accepted invitation is a membership now: revoking it is refused.
    let joined = email();
    let u = member(store, t.id, &joined, MemberRole::Viewer).await;
    let accepted = store
        .list_invitations(
            t.id,
            Some(InvitationState::Accepted),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(accepted.items.len(), 1);
    assert_eq!(accepted.items[0].invitation.email, u.email);
    let id = accepted.items[0].invitation.id;
    assert_eq!(
        store.revoke_invitation(t.id, id, &actor()).await.unwrap(),
        None
    );
    let revoked_only = store
        .list_invitations(t.id, Some(InvitationState::Revoked), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(revoked_only.items.len(), 1);
    assert_eq!(store.lookup_invitation("nope").await.unwrap(), None);
}

/// An invitation past its TTL lists as `expired` (and filters as such), not pending.
pub async fn expired_invitation_lists_as_expired(store: &dyn Store) {
    let t = tenant(store).await;
    let who = email();
    let new = invitation(
        t.id,
        &who,
        MemberRole::Viewer,
        "exp-tok",
        Duration::milliseconds(20),
    );
    store
        .create_invitation(new, mail("invitation", &who), &actor())
        .await
        .unwrap();
    sleep_ms(60).await;
    let rec = store.lookup_invitation("exp-tok").await.unwrap().unwrap();
    assert_eq!(rec.state, InvitationState::Expired);
    let page = PageRequest::default();
    let expired = store
        .list_invitations(t.id, Some(InvitationState::Expired), page)
        .await;
    assert_eq!(expired.unwrap().items.len(), 1);
    let pending = store
        .list_invitations(t.id, Some(InvitationState::Pending), page)
        .await;
    assert!(pending.unwrap().items.is_empty());
}
