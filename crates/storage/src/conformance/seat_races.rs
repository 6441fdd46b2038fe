//! The seat invariant under concurrency, at the store level: however many operations run
//! at once (each its own transaction, interleaved by the database), a license never has
//! more live sessions than seats, a hardware never more than one, and every expiry is
//! marked and audited once.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use coditect_domain::{AuditEntry, PageRequest, SeatError, SessionStatus};
use futures::future::join_all;
use tokio::time::{Duration, Instant};

use super::fixtures::{acquire, actor, audit_log, license, seats_used, sleep_ms, take, tenant};
use crate::{Store, StoreError};

type Task<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Many acquires of distinct hardware racing for the seats of one license: exactly
/// `seats_total` are granted, the rest refused `NoSeats`, and the license ends with that
/// many live sessions.
pub async fn concurrent_acquires_never_exceed_seats(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 3, 60).await;
    let outcomes =
        join_all((0..30).map(|i| store.acquire(acquire(&key, &format!("hw-{i}"))))).await;
    let mut granted = 0;
    for out in outcomes {
        match out {
            Ok(out) => {
                assert!(out.created && out.seats_used <= 3, "{out:?}");
                granted += 1;
            }
            Err(StoreError::Seat(SeatError::NoSeats { seats_total: 3, .. })) => {}
            Err(e) => panic!("unexpected acquire error: {e:?}"),
        }
    }
    assert_eq!(granted, 3);
    assert_eq!(seats_used(store, t.id, l.id).await, 3);
    let live = store
        .list_sessions(t.id, l.id, Some(SessionStatus::Active), Default::default())
        .await
        .unwrap();
    assert_eq!(live.items.len(), 3);
    assert_eq!(store.count_live_sessions().await.unwrap(), 3);
}

/// Acquires racing on several licenses at once: each license grants exactly its seats.
pub async fn concurrent_acquires_on_several_licenses_grant_each_its_seats(store: &dyn Store) {
    let t = tenant(store).await;
    let mut licenses = Vec::new();
    for seats in [1, 2, 4] {
        licenses.push((license(store, t.id, seats, 60).await, seats));
    }
    let reqs: Vec<_> = (0..36)
        .map(|i| {
            let ((_, key), _) = &licenses[i % 3];
            acquire(key, &format!("hw-{i}"))
        })
        .collect();
    let outcomes = join_all(reqs.into_iter().map(|r| store.acquire(r))).await;
    for out in &outcomes {
        assert!(
            matches!(
                out,
                Ok(_) | Err(StoreError::Seat(SeatError::NoSeats { .. }))
            ),
            "{out:?}"
        );
    }
    for ((l, _), seats) in &licenses {
        let granted = outcomes
            .iter()
            .flatten()
            .filter(|o| o.license.id == l.id)
            .count();
        assert_eq!(granted as i64, *seats);
        assert_eq!(seats_used(store, t.id, l.id).await, *seats);
    }
}

/// Many acquires of one hardware at once take one seat: one session, `created` once.
pub async fn concurrent_acquires_of_one_hardware_share_one_session(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 2, 60).await;
    let outcomes = join_all((0..20).map(|_| store.acquire(acquire(&key, "same-hw")))).await;
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|o| o.expect("granted or resumed"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 1);
    assert!(outcomes
        .iter()
        .all(|o| o.session.id == outcomes[0].session.id));
    let all = store
        .list_sessions(t.id, l.id, None, Default::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

/// Releases of one session racing each other end it once.
pub async fn concurrent_releases_end_a_session_once(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let s = take(store, &key, "hw").await;
    let outs = join_all((0..10).map(|_| store.release(&key, s.id))).await;
    let released = outs
        .into_iter()
        .map(|o| o.expect("release"))
        .filter(|o| o.released)
        .count();
    assert_eq!(released, 1);
    assert_eq!(seats_used(store, t.id, l.id).await, 0);
}

/// Reapers running at once (as every server process does) mark and audit each dead
/// session once between them.
pub async fn concurrent_reapers_expire_each_session_once(store: &dyn Store) {
    let t = tenant(store).await;
    let (_, key) = license(store, t.id, 10, 1).await;
    for i in 0..6 {
        take(store, &key, &format!("hw-{i}")).await;
    }
    sleep_ms(1200).await;
    let counts = join_all((0..8).map(|_| store.reap_expired(2))).await;
    let mut reaped: u64 = counts.into_iter().map(|n| n.expect("reap")).sum();
    reaped += store.reap_expired(100).await.unwrap();
    assert_eq!(reaped, 6);
    assert_expired_once(&audit_log(store, t.id).await, 6);
}

#[track_caller]
fn assert_expired_once(log: &[AuditEntry], at_least: usize) {
    let expired: Vec<_> = log
        .iter()
        .filter(|e| e.action == "session.expire")
        .map(|e| e.resource_id)
        .collect();
    let distinct: HashSet<_> = expired.iter().collect();
    assert_eq!(
        distinct.len(),
        expired.len(),
        "a session's expiry audited twice"
    );
    assert!(
        expired.len() >= at_least,
        "{} expiries audited, expected {at_least}",
        expired.len()
    );
}

/// Installations acquire, heartbeat, release or abandon seats of a 3-seat license with a
/// 1-second TTL, while reapers and an admin's forced releases run too. Sampled throughout,
/// the license never has more live sessions than seats, no operation fails with anything
/// but a seat refusal (a deadlock or lock timeout would be `Unavailable`), and every
/// expiry is audited once.
pub async fn mixed_workload_never_exceeds_seats(store: &dyn Store) {
    const SEATS: i64 = 3;
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, SEATS, 1).await;
    let deadline = Instant::now() + Duration::from_secs(3);
    let (granted, refused, samples) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let refusal = |e: &StoreError| matches!(e, StoreError::Seat(_));
    let (key, granted, refused, samples) = (&key, &granted, &refused, &samples);
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for w in 0..12u32 {
        tasks.push(Box::pin(async move {
            let mut round = 0u32;
            while Instant::now() < deadline {
                round += 1;
                let hw = format!("hw-{w}-{}", round % 3);
                match store.acquire(acquire(key, &hw)).await {
                    Ok(out) => {
                        granted.fetch_add(1, Ordering::Relaxed);
                        assert!(
                            out.seats_used <= SEATS,
                            "acquire reported {} used",
                            out.seats_used
                        );
                        for _ in 0..(round % 4) {
                            sleep_ms(150).await;
                            match store.heartbeat(key, out.session.id).await {
                                Ok(hb) => assert!(
                                    hb.seats_used <= SEATS,
                                    "heartbeat reported {}",
                                    hb.seats_used
                                ),
                                Err(e) => {
                                    assert!(refusal(&e), "heartbeat: {e:?}");
                                    break;
                                }
                            }
                        }
                        if round & 1 == 0 {
                            store.release(key, out.session.id).await.expect("release");
                        }
                    }
                    Err(e) => {
                        assert!(refusal(&e), "acquire: {e:?}");
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
                sleep_ms(20).await;
            }
        }));
    }
    for _ in 0..2 {
        tasks.push(Box::pin(async move {
            while Instant::now() < deadline {
                store.reap_expired(50).await.expect("reap");
                sleep_ms(30).await;
            }
        }));
    }
    tasks.push(Box::pin(async move {
        while Instant::now() < deadline {
            let page = PageRequest {
                limit: 200,
                after: None,
            };
            let live = store
                .list_sessions(t.id, l.id, Some(SessionStatus::Active), page)
                .await
                .expect("list");
            assert!(
                live.items.len() as i64 <= SEATS,
                "listed {} live",
                live.items.len()
            );
            if let Some(victim) = live.items.first() {
                store
                    .force_release(t.id, victim.id, &actor())
                    .await
                    .expect("force release");
            }
            sleep_ms(400).await;
        }
    }));
    tasks.push(Box::pin(async move {
        while Instant::now() < deadline {
            let used = store
                .get_license(t.id, l.id)
                .await
                .expect("get")
                .expect("license")
                .seats_used;
            assert!(
                used <= SEATS,
                "{used} live sessions on a {SEATS}-seat license"
            );
            let live = store.count_live_sessions().await.expect("count");
            assert!(
                live <= SEATS,
                "{live} live sessions counted on a {SEATS}-seat license"
            );
            samples.fetch_add(1, Ordering::Relaxed);
            sleep_ms(5).await;
        }
    }));
    join_all(tasks).await;
    let (granted, refused, samples) = (
        granted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        samples.load(Ordering::Relaxed),
    );
    assert!(samples > 50, "{samples} samples");
    assert!(
        granted > 10 && refused > 10,
        "workload too light: {granted} granted, {refused} refused"
    );
    assert_expired_once(&audit_log(store, t.id).await, 0);
}
