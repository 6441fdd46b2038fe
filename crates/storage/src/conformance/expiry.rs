//! Sessions past their expiry: reported expired before the reaper gets to them, reaped and
//! audited once, and never counted live.

use coditect_domain::{ActorType, EndReason, Session, SessionStatus};
use uuid::Uuid;

use super::fixtures::{audit_log, audited, license, sleep_ms, take, tenant};
use crate::Store;

fn ids(sessions: &[Session]) -> Vec<Uuid> {
    sessions.iter().map(|s| s.id).collect()
}

/// A session past its expiry is reported expired (ended at its `expires_at`) by the
/// listing even before the reaper marks it, and is no longer listed as active.
pub async fn list_sessions_reports_unreaped_expired_sessions_as_expired(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 1).await;
    let s = take(store, &key, "hw").await;
    sleep_ms(1200).await;
    let active = store
        .list_sessions(t.id, l.id, Some(SessionStatus::Active), Default::default())
        .await
        .unwrap();
    assert!(active.items.is_empty());
    for status in [None, Some(SessionStatus::Expired)] {
        let page = store
            .list_sessions(t.id, l.id, status, Default::default())
            .await
            .unwrap();
        let e = &page.items[..];
        assert_eq!(ids(e), vec![s.id]);
        assert_eq!(
            (e[0].status, e[0].end_reason),
            (SessionStatus::Expired, Some(EndReason::Expired))
        );
        assert_eq!(e[0].ended_at, Some(s.expires_at));
    }
    assert_eq!(store.count_live_sessions().await.unwrap(), 0);
}

/// `reap_expired` marks up to `limit` dead sessions expired, each once, auditing each as
/// the reaper with the session before (active) and after (expired); live ones stay.
pub async fn reap_expired_marks_each_session_once_and_audits_it(store: &dyn Store) {
    let (t, u) = (tenant(store).await, tenant(store).await);
    let (short_t, key_t) = license(store, t.id, 5, 1).await;
    let (_, key_u) = license(store, u.id, 5, 1).await;
    let (_, long) = license(store, t.id, 5, 600).await;
    let dead = [
        take(store, &key_t, "a").await,
        take(store, &key_t, "b").await,
        take(store, &key_u, "c").await,
    ];
    let live = take(store, &long, "d").await;
    sleep_ms(1200).await;
    assert_eq!(store.reap_expired(2).await.unwrap(), 2);
    assert_eq!(store.reap_expired(100).await.unwrap(), 1);
    assert_eq!(store.reap_expired(100).await.unwrap(), 0);
    let expired = store
        .list_sessions(t.id, short_t.id, None, Default::default())
        .await
        .unwrap();
    for s in &expired.items {
        assert_eq!(
            (s.status, s.end_reason, s.ended_at),
            (
                SessionStatus::Expired,
                Some(EndReason::Expired),
                Some(s.expires_at)
            )
        );
    }
    let log = audit_log(store, t.id).await;
    let mut reaped: Vec<_> = log
        .iter()
        .filter(|e| e.action == "session.expire")
        .collect();
    reaped.sort_by_key(|e| e.resource_id);
    assert_eq!(
        reaped.iter().map(|e| e.resource_id).collect::<Vec<_>>(),
        vec![dead[0].id, dead[1].id]
    );
    for e in &reaped {
        assert_eq!(
            (e.actor.actor_type, e.actor.name.as_deref()),
            (ActorType::System, Some("reaper"))
        );
        assert_eq!(e.before.as_ref().unwrap()["status"], "active");
        assert_eq!(e.after.as_ref().unwrap()["status"], "expired");
    }
    assert_eq!(audited(store, u.id, "session.expire").await, 1);
    assert!(store.heartbeat(&long, live.id).await.is_ok());
}

/// `count_live_sessions` counts live sessions of every license and tenant: not released
/// ones, nor ones past their expiry (reaped or not).
pub async fn count_live_sessions_counts_every_license(store: &dyn Store) {
    assert_eq!(store.count_live_sessions().await.unwrap(), 0);
    let (t, u) = (tenant(store).await, tenant(store).await);
    let (_, a) = license(store, t.id, 5, 600).await;
    let (_, b) = license(store, u.id, 5, 600).await;
    let (_, short) = license(store, u.id, 5, 1).await;
    take(store, &a, "1").await;
    let gone = take(store, &a, "2").await;
    take(store, &b, "3").await;
    take(store, &short, "4").await;
    assert_eq!(store.count_live_sessions().await.unwrap(), 4);
    store.release(&a, gone.id).await.unwrap();
    assert_eq!(store.count_live_sessions().await.unwrap(), 3);
    sleep_ms(1200).await;
    assert_eq!(store.count_live_sessions().await.unwrap(), 2);
}
