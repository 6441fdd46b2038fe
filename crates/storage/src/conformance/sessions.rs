//! Holding and ending seats: heartbeat, release, forced release and the listing of a
//! license's sessions.

use chrono::Duration;
use coditect_domain::{EndReason, LicensePatch, SeatError, Session, SessionStatus};
use uuid::Uuid;

use super::fixtures::{actor, all_pages, audit_log, license, seats_used, sleep_ms, take, tenant};
use crate::{Store, StoreError};

fn ids(sessions: &[Session]) -> Vec<Uuid> {
    sessions.iter().map(|s| s.id).collect()
}
/// A heartbeat keeps a live session for one more TTL from the database's now and reports
/// the license's live seats.
pub async fn heartbeat_extends_a_live_session(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 3, 60).await;
    let s = take(store, &key, "hw-1").await;
    take(store, &key, "hw-2").await;
    sleep_ms(20).await;
    let hb = store.heartbeat(&key, s.id).await.expect("live");
    assert_eq!(
        (hb.session.id, hb.license.id, hb.seats_used),
        (s.id, l.id, 2)
    );
    assert_eq!(hb.session.last_heartbeat_at, hb.now);
    assert_eq!(hb.session.expires_at, hb.now + Duration::seconds(60));
    assert!(hb.session.expires_at > s.expires_at);
    assert_eq!(hb.session.status, SessionStatus::Active);
}

/// A heartbeat of a session that holds no seat is refused, the session's state before the
/// license's: released (`forced` or not), expired, then a suspended license.
pub async fn heartbeat_refuses_sessions_that_hold_no_seat(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 5, 60).await;
    let released = take(store, &key, "hw-1").await;
    store.release(&key, released.id).await.unwrap();
    let r = store.heartbeat(&key, released.id).await;
    assert!(
        matches!(
            r,
            Err(StoreError::Seat(SeatError::SessionReleased {
                forced: false
            }))
        ),
        "{r:?}"
    );
    let forced = take(store, &key, "hw-2").await;
    store
        .force_release(t.id, forced.id, &actor())
        .await
        .unwrap();
    let r = store.heartbeat(&key, forced.id).await;
    assert!(
        matches!(
            r,
            Err(StoreError::Seat(SeatError::SessionReleased {
                forced: true
            }))
        ),
        "{r:?}"
    );
    let live = take(store, &key, "hw-3").await;
    let suspend = LicensePatch {
        is_active: Some(false),
        ..LicensePatch::default()
    };
    store
        .update_license(t.id, l.id, &suspend, &actor())
        .await
        .unwrap();
    let r = store.heartbeat(&key, live.id).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::LicenseSuspended))),
        "{r:?}"
    );
    let r = store.heartbeat(&key, released.id).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::SessionReleased { .. }))),
        "{r:?}"
    );
    let (_, short_key) = license(store, t.id, 1, 1).await;
    let short = take(store, &short_key, "hw-4").await;
    sleep_ms(1200).await;
    let r = store.heartbeat(&short_key, short.id).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::SessionExpired))),
        "{r:?}"
    );
}

/// A session is only reachable under its own license's key: under another key, or by an
/// unknown id, heartbeat and release are `SessionNotFound` and change nothing.
pub async fn heartbeat_and_release_need_the_sessions_own_key(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 60).await;
    let (_, other_key) = license(store, t.id, 2, 60).await;
    let s = take(store, &key, "hw").await;
    for r in [
        store.heartbeat(&other_key, s.id).await.map(|_| ()),
        store.heartbeat(&key, Uuid::now_v7()).await.map(|_| ()),
        store.release(&other_key, s.id).await.map(|_| ()),
        store.release(&key, Uuid::now_v7()).await.map(|_| ()),
    ] {
        assert!(matches!(r, Err(StoreError::SessionNotFound)), "{r:?}");
    }
    assert_eq!(seats_used(store, t.id, l.id).await, 1);
}

/// `release` ends a live session at once (the seat is free for another hardware) and says
/// so; releasing again is not an error and reports the session released, not anew.
/// Release works whatever the license's state.
pub async fn release_ends_a_session_once(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let s = take(store, &key, "hw-1").await;
    let out = store.release(&key, s.id).await.expect("release");
    assert!(out.released);
    assert_eq!(
        (out.session_id, out.license_id, out.status),
        (s.id, l.id, SessionStatus::Released)
    );
    assert_eq!(seats_used(store, t.id, l.id).await, 0);
    let again = store.release(&key, s.id).await.expect("idempotent");
    assert!(!again.released);
    assert_eq!(again.status, SessionStatus::Released);
    let ended = store
        .list_sessions(t.id, l.id, None, Default::default())
        .await
        .unwrap();
    let ended = &ended.items[0];
    assert_eq!(
        (ended.status, ended.end_reason),
        (SessionStatus::Released, Some(EndReason::Released))
    );
    assert_eq!(ended.ended_at, Some(out.now));
    let next = take(store, &key, "hw-2").await;
    let suspend = LicensePatch {
        is_active: Some(false),
        ..LicensePatch::default()
    };
    store
        .update_license(t.id, l.id, &suspend, &actor())
        .await
        .unwrap();
    assert!(store.release(&key, next.id).await.unwrap().released);
}

/// Releasing a session that ran out reports it expired and releases nothing.
pub async fn release_of_an_expired_session_reports_it_expired(store: &dyn Store) {
    let t = tenant(store).await;
    let (_, key) = license(store, t.id, 1, 1).await;
    let s = take(store, &key, "hw").await;
    sleep_ms(1200).await;
    let out = store.release(&key, s.id).await.unwrap();
    assert!(!out.released);
    assert_eq!(out.status, SessionStatus::Expired);
}

/// An admin's `force_release` ends a tenant's live session (`Forced`) and audits it once;
/// again, it returns the ended session and audits nothing; another tenant's or an
/// unknown session is `None`.
pub async fn force_release_ends_a_session_and_audits_it_once(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (l, key) = license(store, t.id, 1, 60).await;
    let s = take(store, &key, "hw").await;
    assert_eq!(
        store.force_release(other.id, s.id, &actor()).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .force_release(t.id, Uuid::now_v7(), &actor())
            .await
            .unwrap(),
        None
    );
    let ended = store
        .force_release(t.id, s.id, &actor())
        .await
        .unwrap()
        .expect("own");
    assert_eq!(
        (ended.id, ended.status, ended.end_reason),
        (s.id, SessionStatus::Released, Some(EndReason::Forced))
    );
    assert!(ended.ended_at.is_some());
    assert_eq!(seats_used(store, t.id, l.id).await, 0);
    let again = store.force_release(t.id, s.id, &actor()).await.unwrap();
    assert_eq!(again, Some(ended));
    let log = audit_log(store, t.id).await;
    let forced: Vec<_> = log
        .iter()
        .filter(|e| e.action == "session.force_release")
        .collect();
    assert_eq!(forced.len(), 1);
    assert_eq!((forced[0].resource_id, &forced[0].actor), (s.id, &actor()));
    assert_eq!(forced[0].before.as_ref().unwrap()["status"], "active");
    assert_eq!(forced[0].after.as_ref().unwrap()["status"], "released");
}

/// `list_sessions` pages through one license's sessions oldest first, by reported status
/// when asked, and shows nothing of another tenant's.
pub async fn list_sessions_pages_oldest_first_by_status(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (l, key) = license(store, t.id, 5, 60).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(take(store, &key, &format!("hw-{i}")).await);
    }
    store.release(&key, made[1].id).await.unwrap();
    store
        .force_release(t.id, made[3].id, &actor())
        .await
        .unwrap();
    let list = |status| async move {
        all_pages(
            2,
            |s: &Session| s.id,
            |p| store.list_sessions(t.id, l.id, status, p),
        )
        .await
    };
    let all = list(None).await;
    assert_eq!(ids(&all), ids(&made));
    assert_eq!(
        ids(&list(Some(SessionStatus::Active)).await),
        vec![made[0].id, made[2].id, made[4].id]
    );
    assert_eq!(
        ids(&list(Some(SessionStatus::Released)).await),
        vec![made[1].id, made[3].id]
    );
    assert!(list(Some(SessionStatus::Expired)).await.is_empty());
    let theirs = store
        .list_sessions(other.id, l.id, None, Default::default())
        .await
        .unwrap();
    assert!(theirs.items.is_empty());
}

/// `list_sessions_during` keeps the sessions that held their seat at some time in
/// `[from, to)`: one ended before `from` is left out, one started at or after `to` too;
/// the range applies before paging.
pub async fn list_sessions_during_keeps_sessions_that_overlap_the_range(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 3, 60).await;
    let early = take(store, &key, "hw-early").await;
    store.force_release(t.id, early.id, &actor()).await.unwrap();
    sleep_ms(5).await;
    let mid = store.now().await.unwrap();
    sleep_ms(5).await;
    let late = take(store, &key, "hw-late").await;
    let during = |from, to| {
        all_pages(
            1,
            |s: &Session| s.id,
            move |p| store.list_sessions_during(t.id, l.id, None, from, to, p),
        )
    };
    assert_eq!(ids(&during(None, None).await), vec![early.id, late.id]);
    assert_eq!(
        ids(&during(Some(mid), None).await),
        vec![late.id],
        "ended before from"
    );
    assert_eq!(
        ids(&during(None, Some(mid)).await),
        vec![early.id],
        "started after to"
    );
    let later = mid + Duration::hours(1);
    assert_eq!(ids(&during(Some(later), None).await), Vec::<Uuid>::new());
    let released = store
        .list_sessions_during(
            t.id,
            l.id,
            Some(SessionStatus::Released),
            None,
            Some(later),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&released.items), vec![early.id]);
}
