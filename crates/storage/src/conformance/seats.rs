//! Taking seats: acquire (new, resumed, refused, borrowed, queued) and the queue it keeps.

use chrono::Duration;
use coditect_domain::{LicensePatch, SeatError, SessionStatus};
use serde_json::json;
use uuid::Uuid;

use super::fixtures::{
    acquire, actor, audited, create_license, license, new_license, recent_denials, seats_used,
    sleep_ms, take, tenant,
};
use crate::{AcquireRequest, Store, StoreError};

#[track_caller]
fn assert_no_seats<T: std::fmt::Debug>(r: Result<T, StoreError>, used: i64, waiting: i64) {
    match r {
        Err(StoreError::Seat(SeatError::NoSeats {
            seats_used,
            waiting: w,
            ..
        })) if seats_used == used && w == waiting => {}
        other => panic!("expected no seats ({used} used, {waiting} waiting), got {other:?}"),
    }
}

fn queued(key_hash: &str, hardware_id: &str, waiter: Uuid) -> AcquireRequest {
    AcquireRequest {
        waiter: Some(waiter),
        ..acquire(key_hash, hardware_id)
    }
}

/// A first acquire takes a new seat (`created`), stamped with the database's time: live
/// for one TTL, for the hardware, user and client it was asked for.
pub async fn acquire_takes_a_new_seat(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 90).await;
    let client = json!({"name": "cad", "version": "7.1"})
        .as_object()
        .cloned();
    let req = AcquireRequest {
        user_email: Some("ana@example.com".into()),
        client: client.clone(),
        ..acquire(&key, "hw-1")
    };
    let out = store.acquire(req).await.expect("granted");
    let s = &out.session;
    assert!(out.created);
    assert_eq!((out.seats_used, out.license.id), (1, l.id));
    assert_eq!(
        (s.tenant_id, s.license_id, s.hardware_id.as_str()),
        (t.id, l.id, "hw-1")
    );
    assert_eq!(
        (s.user_email.as_deref(), &s.client),
        (Some("ana@example.com"), &client)
    );
    assert_eq!(
        (s.status, s.end_reason, s.ended_at, s.borrowed),
        (SessionStatus::Active, None, None, false)
    );
    assert_eq!((s.created_at, s.last_heartbeat_at), (out.now, out.now));
    assert_eq!(s.expires_at, out.now + Duration::seconds(90));
    assert_eq!(seats_used(store, t.id, l.id).await, 1);
}

/// The same hardware acquiring again resumes its live session (not `created`, no second
/// seat), refreshing its expiry and the user and client it reports.
pub async fn acquire_resumes_the_same_hardwares_session(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let first = store.acquire(acquire(&key, "hw-1")).await.unwrap();
    sleep_ms(20).await;
    let req = AcquireRequest {
        user_email: Some("bo@example.com".into()),
        ..acquire(&key, "hw-1")
    };
    let again = store.acquire(req).await.expect("resumed on a full license");
    assert!(!again.created);
    assert_eq!((again.session.id, again.seats_used), (first.session.id, 1));
    assert!(again.session.expires_at > first.session.expires_at);
    assert_eq!(again.session.expires_at, again.now + Duration::seconds(60));
    assert_eq!(again.session.user_email.as_deref(), Some("bo@example.com"));
    let sessions = store
        .list_sessions(t.id, l.id, None, Default::default())
        .await
        .unwrap();
    assert_eq!(sessions.items.len(), 1);
}

/// A full license refuses a new hardware with `NoSeats` (its seats, the live count and
/// the queue), and the refusal is recorded as a denial.
pub async fn acquire_refuses_a_full_license_and_records_a_denial(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 60).await;
    take(store, &key, "hw-1").await;
    take(store, &key, "hw-2").await;
    let refused = store.acquire(acquire(&key, "hw-3")).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Seat(SeatError::NoSeats {
                seats_total: 2,
                seats_used: 2,
                waiting: 0
            }))
        ),
        "{refused:?}"
    );
    assert_no_seats(store.acquire(acquire(&key, "hw-4")).await, 2, 0);
    assert_eq!(recent_denials(store, t.id, l.id).await, 2);
    assert_eq!(seats_used(store, t.id, l.id).await, 2);
}

/// A key hash no license has is `LicenseNotFound`.
pub async fn acquire_with_an_unknown_key_is_license_not_found(store: &dyn Store) {
    let t = tenant(store).await;
    license(store, t.id, 1, 60).await;
    let r = store.acquire(acquire("no such key", "hw")).await;
    assert!(matches!(r, Err(StoreError::LicenseNotFound)), "{r:?}");
}

/// A suspended license refuses with `LicenseSuspended` (even a live session's resume, and
/// even when it is also expired), an expired one with `LicenseExpired`; neither is a
/// denial for want of a seat.
pub async fn acquire_refuses_suspended_and_expired_licenses_without_a_denial(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 5, 60).await;
    take(store, &key, "hw-1").await;
    let suspend = LicensePatch {
        is_active: Some(false),
        ..LicensePatch::default()
    };
    store
        .update_license(t.id, l.id, &suspend, &actor())
        .await
        .unwrap();
    for hw in ["hw-1", "hw-2"] {
        let r = store.acquire(acquire(&key, hw)).await;
        assert!(
            matches!(r, Err(StoreError::Seat(SeatError::LicenseSuspended))),
            "{r:?}"
        );
    }
    let mut old = new_license(t.id, 5, 60);
    old.expires_at = Some(store.now().await.unwrap() - Duration::seconds(1));
    let (expired, expired_key) = create_license(store, old).await;
    let r = store.acquire(acquire(&expired_key, "hw-1")).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::LicenseExpired))),
        "{r:?}"
    );
    store
        .update_license(t.id, expired.id, &suspend, &actor())
        .await
        .unwrap();
    let r = store.acquire(acquire(&expired_key, "hw-1")).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::LicenseSuspended))),
        "{r:?}"
    );
    assert_eq!(recent_denials(store, t.id, l.id).await, 0);
    assert_eq!(recent_denials(store, t.id, expired.id).await, 0);
}

/// A session never outlives its license: the expiry is one TTL on, or the license's end
/// when that comes first.
pub async fn acquire_never_outlives_the_license(store: &dyn Store) {
    let t = tenant(store).await;
    let mut new = new_license(t.id, 1, 600);
    let end = store.now().await.unwrap() + Duration::seconds(30);
    new.expires_at = Some(end);
    let (_, key) = create_license(store, new).await;
    let s = take(store, &key, "hw").await;
    assert_eq!(s.expires_at, end);
}

/// A borrow needs a license that allows borrowing (`BorrowingDisabled`), for at most its
/// `max_borrow_hours` (`BorrowTooLong`); a granted borrow is live for the hours asked,
/// and neither a heartbeat nor a plain acquire of the same hardware shortens it.
pub async fn acquire_borrows_within_the_licenses_maximum(store: &dyn Store) {
    let t = tenant(store).await;
    let borrow = |key: &str, hours| AcquireRequest {
        borrow_hours: Some(hours),
        ..acquire(key, "laptop")
    };
    let (_, no_borrow) = license(store, t.id, 1, 60).await;
    let r = store.acquire(borrow(&no_borrow, 1)).await;
    assert!(
        matches!(r, Err(StoreError::Seat(SeatError::BorrowingDisabled))),
        "{r:?}"
    );
    let mut new = new_license(t.id, 1, 60);
    new.max_borrow_hours = 24;
    let (l, key) = create_license(store, new).await;
    let r = store.acquire(borrow(&key, 25)).await;
    assert!(
        matches!(
            r,
            Err(StoreError::Seat(SeatError::BorrowTooLong { max_hours: 24 }))
        ),
        "{r:?}"
    );
    let out = store.acquire(borrow(&key, 24)).await.expect("borrowed");
    assert!(out.created && out.session.borrowed);
    assert_eq!(out.session.expires_at, out.now + Duration::hours(24));
    let hb = store.heartbeat(&key, out.session.id).await.unwrap();
    assert_eq!(hb.session.expires_at, out.session.expires_at);
    let resumed = store.acquire(acquire(&key, "laptop")).await.unwrap();
    assert!(!resumed.created && resumed.session.borrowed);
    assert_eq!(resumed.session.expires_at, out.session.expires_at);
    assert_eq!(seats_used(store, t.id, l.id).await, 1);
}

/// Queued acquires (`waiter`) keep their place when refused, without a denial; free seats
/// go to earlier waiters first, plain acquires wait behind the queue, and a granted waiter
/// leaves it.
pub async fn queued_acquires_are_served_first_come_first_served(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let holder = take(store, &key, "hw-a").await;
    let (w1, w2) = (Uuid::now_v7(), Uuid::now_v7());
    assert_no_seats(store.acquire(queued(&key, "hw-w1", w1)).await, 1, 0);
    assert_no_seats(store.acquire(queued(&key, "hw-w2", w2)).await, 1, 1);
    assert_no_seats(store.acquire(acquire(&key, "hw-x")).await, 1, 2);
    assert_no_seats(store.acquire(queued(&key, "hw-w1", w1)).await, 1, 0);
    assert!(store.release(&key, holder.id).await.unwrap().released);
    // The free seat is promised to the two waiters ahead of a plain acquire.
    assert_no_seats(store.acquire(acquire(&key, "hw-y")).await, 0, 2);
    assert_no_seats(store.acquire(queued(&key, "hw-w2", w2)).await, 0, 1);
    let first = store
        .acquire(queued(&key, "hw-w1", w1))
        .await
        .expect("first in line");
    assert!(first.created);
    store.release(&key, first.session.id).await.unwrap();
    let second = store
        .acquire(queued(&key, "hw-w2", w2))
        .await
        .expect("next in line");
    assert!(second.created);
    store.release(&key, second.session.id).await.unwrap();
    // Both waiters left the queue when granted: a plain acquire is next.
    take(store, &key, "hw-z").await;
    assert_eq!(recent_denials(store, t.id, l.id).await, 2);
}

/// `leave_queue` gives a place up (a later acquire no longer waits behind it); with
/// `denied` it records one denial for the place, however often it is called; unknown
/// waiters are not an error.
pub async fn leave_queue_gives_up_the_place_and_records_a_denial_once(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let holder = take(store, &key, "hw-a").await;
    let (w1, w2) = (Uuid::now_v7(), Uuid::now_v7());
    assert_no_seats(store.acquire(queued(&key, "hw-w1", w1)).await, 1, 0);
    store.leave_queue(w1, false).await.unwrap();
    assert_eq!(recent_denials(store, t.id, l.id).await, 0);
    assert_no_seats(store.acquire(queued(&key, "hw-w2", w2)).await, 1, 0);
    store.leave_queue(w2, true).await.unwrap();
    assert_eq!(recent_denials(store, t.id, l.id).await, 1);
    store.leave_queue(w2, true).await.unwrap();
    store.leave_queue(Uuid::now_v7(), true).await.unwrap();
    store.leave_queue(Uuid::now_v7(), false).await.unwrap();
    assert_eq!(recent_denials(store, t.id, l.id).await, 1);
    store.release(&key, holder.id).await.unwrap();
    let out = store
        .acquire(acquire(&key, "hw-b"))
        .await
        .expect("nobody is ahead");
    assert!(out.created);
}

/// A session past its expiry holds no seat: a new hardware gets it at once, the dead
/// session is reported expired, and its expiry is audited once (not again by the reaper).
pub async fn acquire_reclaims_expired_seats(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 1).await;
    let old = take(store, &key, "hw-old").await;
    sleep_ms(1200).await;
    // The next session lives long enough not to expire during the rest of the check.
    let longer = LicensePatch {
        heartbeat_ttl_seconds: Some(600),
        ..LicensePatch::default()
    };
    store
        .update_license(t.id, l.id, &longer, &actor())
        .await
        .unwrap();
    let out = store
        .acquire(acquire(&key, "hw-new"))
        .await
        .expect("the dead seat is free");
    assert!(out.created);
    assert_eq!(out.seats_used, 1);
    let expired = store
        .list_sessions(t.id, l.id, Some(SessionStatus::Expired), Default::default())
        .await
        .unwrap();
    assert_eq!(
        expired.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![old.id]
    );
    store.reap_expired(100).await.unwrap();
    assert_eq!(audited(store, t.id, "session.expire").await, 1);
}
