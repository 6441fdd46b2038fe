//! Members of a tenant: listed, looked up, re-roled and removed, each change audited, with
//! the rule that a tenant keeps an owner.

use crate::ConflictField;
use coditect_domain::{Member, MemberRole};
use uuid::Uuid;

use super::fixtures::{
    actor, all_pages, assert_conflict, audit_log, audited, email, member, tenant,
};
use crate::Store;

/// `list_members` pages through one tenant's members by user id, none of another's.
pub async fn list_members_pages_by_user_id(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let mut made = Vec::new();
    for i in 0..5 {
        let role = [MemberRole::Owner, MemberRole::Admin, MemberRole::Viewer][i % 3];
        made.push((member(store, t.id, &email(), role).await.id, role));
        member(store, other.id, &email(), MemberRole::Owner).await;
    }
    let listed = all_pages(2, |m: &Member| m.id, |p| store.list_members(t.id, p)).await;
    assert_eq!(
        listed.iter().map(|m| (m.id, m.role)).collect::<Vec<_>>(),
        made
    );
}

/// `get_member` answers within the tenant only: a member of another tenant, or nobody, is
/// `None`.
pub async fn get_member_is_scoped_to_its_tenant(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let u = member(store, t.id, &email(), MemberRole::Admin).await;
    let m = store.get_member(t.id, u.id).await.unwrap().expect("member");
    assert_eq!(
        (m.id, m.email.as_str(), m.name.as_str()),
        (u.id, u.email.as_str(), u.name.as_str())
    );
    assert!(store.get_member(other.id, u.id).await.unwrap().is_none());
    assert!(store
        .get_member(t.id, Uuid::now_v7())
        .await
        .unwrap()
        .is_none());
}

/// `update_member` changes a role and audits the change; the same role again changes and
/// audits nothing; someone not a member is `None`.
pub async fn update_member_changes_the_role_and_audits_changes_only(store: &dyn Store) {
    let t = tenant(store).await;
    member(store, t.id, &email(), MemberRole::Owner).await;
    let u = member(store, t.id, &email(), MemberRole::Admin).await;
    let m = store
        .update_member(t.id, u.id, MemberRole::Viewer, &actor())
        .await
        .unwrap()
        .expect("member");
    assert_eq!((m.id, m.role), (u.id, MemberRole::Viewer));
    assert_eq!(store.get_member(t.id, u.id).await.unwrap(), Some(m.clone()));
    let same = store
        .update_member(t.id, u.id, MemberRole::Viewer, &actor())
        .await
        .unwrap();
    assert_eq!(same, Some(m));
    let log = audit_log(store, t.id).await;
    let updates: Vec<_> = log.iter().filter(|e| e.action == "member.update").collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        (updates[0].resource_id, &updates[0].actor),
        (u.id, &actor())
    );
    assert_eq!(updates[0].before.as_ref().unwrap()["role"], "admin");
    assert_eq!(updates[0].after.as_ref().unwrap()["role"], "viewer");
    assert!(store
        .update_member(t.id, Uuid::now_v7(), MemberRole::Owner, &actor())
        .await
        .unwrap()
        .is_none());
}

/// A change that would leave a tenant without an owner is `Conflict(ConflictField::Owner)` and changes
/// nothing; with a second owner the first may step down, then the second may not.
pub async fn update_member_keeps_an_owner(store: &dyn Store) {
    let t = tenant(store).await;
    let first = member(store, t.id, &email(), MemberRole::Owner).await;
    assert_conflict(
        store
            .update_member(t.id, first.id, MemberRole::Admin, &actor())
            .await,
        ConflictField::Owner,
    );
    assert_eq!(
        store
            .get_member(t.id, first.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        MemberRole::Owner
    );
    let second = member(store, t.id, &email(), MemberRole::Admin).await;
    store
        .update_member(t.id, second.id, MemberRole::Owner, &actor())
        .await
        .unwrap();
    store
        .update_member(t.id, first.id, MemberRole::Viewer, &actor())
        .await
        .unwrap()
        .expect("steps down");
    assert_conflict(
        store
            .update_member(t.id, second.id, MemberRole::Viewer, &actor())
            .await,
        ConflictField::Owner,
    );
    assert_eq!(audited(store, t.id, "member.update").await, 2);
}

/// `remove_member` removes and audits a member, and refuses to remove the last owner
/// (`Conflict(ConflictField::Owner)`); removing someone not a member is `None`.
pub async fn remove_member_keeps_an_owner_and_audits(store: &dyn Store) {
    let t = tenant(store).await;
    let owner = member(store, t.id, &email(), MemberRole::Owner).await;
    let admin = member(store, t.id, &email(), MemberRole::Admin).await;
    assert_conflict(
        store.remove_member(t.id, owner.id, &actor()).await,
        ConflictField::Owner,
    );
    let gone = store
        .remove_member(t.id, admin.id, &actor())
        .await
        .unwrap()
        .expect("removed");
    assert_eq!((gone.id, gone.role), (admin.id, MemberRole::Admin));
    assert!(store.get_member(t.id, admin.id).await.unwrap().is_none());
    assert!(store
        .remove_member(t.id, admin.id, &actor())
        .await
        .unwrap()
        .is_none());
    let log = audit_log(store, t.id).await;
    assert_eq!(
        (log[0].action.as_str(), log[0].resource_id),
        ("member.remove", admin.id)
    );
    assert_eq!(log[0].before.as_ref().unwrap()["role"], "admin");
    assert!(log[0].after.is_none());
    let co = member(store, t.id, &email(), MemberRole::Owner).await;
    store
        .remove_member(t.id, owner.id, &actor())
        .await
        .unwrap()
        .expect("another owner stays");
    assert_conflict(
        store.remove_member(t.id, co.id, &actor()).await,
        ConflictField::Owner,
    );
    assert_eq!(audited(store, t.id, "member.remove").await, 2);
}
