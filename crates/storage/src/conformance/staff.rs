//! Staff administration of accounts: promoting and demoting staff with at least one
//! active staff account always left (also when two demotions race), deactivation that
//! ends sessions and refuses new ones, and the account log.

use chrono::Duration;
use coditect_domain::staff::AccountAction;
use coditect_domain::{MemberRole, User};
use futures::future::join;

use super::fixtures::{
    actor, assert_conflict, conflict_field, email, mail, member, tenant, unique,
};
use crate::{ConflictField, Store, StoreResult};

/// The first user (staff) and a member of a fresh tenant.
async fn staff_and_member(store: &dyn Store) -> (User, User) {
    let first = store
        .create_first_user(&email(), "First staff", "hash")
        .await
        .expect("first user");
    let t = tenant(store).await;
    let m = member(store, t.id, &email(), MemberRole::Viewer).await;
    (first, m)
}

fn ok_user(r: StoreResult<Option<User>>) -> User {
    r.expect("the change").expect("the user exists")
}

/// Promoting makes a user staff and demoting takes it away, each logged with its actor
/// and before/after; demoting the last active staff account is `Conflict(Staff)`;
/// setting what is set logs nothing; an unknown user is `None`.
pub async fn staff_are_promoted_and_demoted_keeping_one(store: &dyn Store) {
    let (first, m) = staff_and_member(store).await;
    assert_conflict(
        store.set_staff(first.id, false, &actor()).await,
        ConflictField::Staff,
    );
    let promoted = ok_user(store.set_staff(m.id, true, &actor()).await);
    assert!(promoted.is_staff);
    let again = ok_user(store.set_staff(m.id, true, &actor()).await);
    assert!(again.is_staff);
    let demoted = ok_user(store.set_staff(first.id, false, &actor()).await);
    assert!(!demoted.is_staff);
    assert_conflict(
        store.set_staff(m.id, false, &actor()).await,
        ConflictField::Staff,
    );
    let p = store.user_profile(m.id).await.unwrap().unwrap();
    assert!(p.user.is_staff, "the refused demotion changed nothing");
    assert!(store
        .set_staff(uuid::Uuid::now_v7(), true, &actor())
        .await
        .unwrap()
        .is_none());
    let log = store.recent_account_audit(10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.action, e.user_id)).collect();
    assert_eq!(
        actions,
        vec![
            (AccountAction::Demote, first.id),
            (AccountAction::Promote, m.id)
        ],
        "newest first, one entry per change"
    );
    assert_eq!(log[0].actor, actor());
    assert_eq!(log[0].before.as_ref().unwrap()["is_staff"], true);
    assert_eq!(log[0].after.as_ref().unwrap()["is_staff"], false);
}

/// Two staff demoting (or deactivating) each other at once: exactly one change passes,
/// so one active staff account is left.
pub async fn concurrent_demotions_of_the_last_two_staff_leave_one(store: &dyn Store) {
    let (first, m) = staff_and_member(store).await;
    for round in 0..4 {
        ok_user(store.set_staff(first.id, true, &actor()).await);
        ok_user(store.set_staff(m.id, true, &actor()).await);
        let (a, b) = if round % 2 == 0 {
            join(
                store.set_staff(first.id, false, &actor()),
                store.set_staff(m.id, false, &actor()),
            )
            .await
        } else {
            join(
                store.set_deactivated(first.id, true, &actor()),
                store.set_staff(m.id, false, &actor()),
            )
            .await
        };
        let refused = [&a, &b]
            .iter()
            .filter(|r| match r {
                Err(e) => conflict_field(e) == Some(ConflictField::Staff),
                Ok(_) => false,
            })
            .count();
        assert!(a.is_ok() != b.is_ok(), "round {round}: {a:?} / {b:?}");
        assert_eq!(refused, 1, "round {round}");
        let users = store.list_users(Default::default()).await.unwrap();
        let active_staff = users
            .items
            .iter()
            .filter(|p| p.user.is_staff && p.user.deactivated_at.is_none())
            .count();
        assert_eq!(active_staff, 1, "round {round}");
        // Back to two active staff for the next round.
        ok_user(store.set_deactivated(first.id, false, &actor()).await);
    }
}

/// Deactivating a user ends their sessions at once, refuses new ones and reset links,
/// and is logged; the last active staff account cannot be deactivated; reactivating
/// lets sessions start again.
pub async fn deactivation_ends_sessions_and_refuses_new_ones(store: &dyn Store) {
    let (first, m) = staff_and_member(store).await;
    let session = unique("ws");
    let made = store
        .create_web_session(&session, m.id, Duration::hours(1), Duration::hours(12))
        .await
        .unwrap();
    assert!(made);
    let off = ok_user(store.set_deactivated(m.id, true, &actor()).await);
    assert!(off.deactivated_at.is_some());
    assert!(store
        .web_session_user(&session, Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    let refused = store
        .create_web_session(&unique("ws"), m.id, Duration::hours(1), Duration::hours(12))
        .await
        .unwrap();
    assert!(!refused, "no session for a deactivated account");
    let creds = store.user_credentials(&m.email).await.unwrap().unwrap();
    assert!(creds.user.deactivated_at.is_some());
    let reset = store
        .create_password_reset(
            &m.email,
            &unique("reset"),
            Duration::hours(1),
            mail("password_reset", &m.email),
        )
        .await
        .unwrap();
    assert!(!reset, "no reset link for a deactivated account");
    assert_conflict(
        store.set_deactivated(first.id, true, &actor()).await,
        ConflictField::Staff,
    );
    let on = ok_user(store.set_deactivated(m.id, false, &actor()).await);
    assert!(on.deactivated_at.is_none());
    assert!(store
        .create_web_session(&unique("ws"), m.id, Duration::hours(1), Duration::hours(12))
        .await
        .unwrap());
    store
        .log_account_action(m.id, AccountAction::UnlockSignIn, &actor())
        .await
        .unwrap();
    let log = store.recent_account_audit(10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            AccountAction::UnlockSignIn,
            AccountAction::Reactivate,
            AccountAction::Deactivate
        ]
    );
    assert!(log[0].before.is_none());
    assert!(log[2].before.as_ref().unwrap()["deactivated_at"].is_null());
    assert!(log[2].after.as_ref().unwrap()["deactivated_at"].is_string());
}
