//! What only PostgreSQL has to show, against a real server: migrations that run again on a
//! migrated database, and several server processes (here two stores, each with a pool of
//! its own) sharing one database without ever overselling a license, checked by reading
//! the tables directly on the database's clock rather than through the store. Everything
//! a single store promises is checked by the conformance suite (tests/conformance.rs).
//!
//! Skipped unless `CODITECT_TEST_DATABASE_URL` names a database the test may connect to as
//! a role that can create databases, e.g. `postgres://postgres@127.0.0.1:5432/postgres`;
//! each test runs in a database of its own, dropped afterwards. CI fails on the skip.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use coditect_domain::input::{Name, Slug};
use coditect_domain::{Actor, ActorType, NewLicense, NewTenant, PageRequest, SessionStatus};
use coditect_storage::prelude::*;
use coditect_storage::{AcquireRequest, StoreError};
use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;
use serde_json::Map;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

fn superadmin() -> Actor {
    Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("smoke".into()),
    }
}

fn new_license(tenant_id: Uuid, key_hash: &str, seats: i64, ttl: i64) -> NewLicense {
    NewLicense {
        tenant_id,
        name: Some(format!("license {key_hash}")),
        key_sealed: format!("sealed-{key_hash}"),
        key_hash: key_hash.into(),
        key_hint: "ABCD".into(),
        seats_total: seats,
        expires_at: None,
        heartbeat_ttl_seconds: ttl,
        entitlements: vec!["feature-a".into()],
        metadata: Map::new(),
        is_active: true,
        max_borrow_hours: 0,
        product_id: None,
        subscription: None,
    }
}

fn acquire_req(key_hash: &str, hw: &str) -> AcquireRequest {
    AcquireRequest {
        key_hash: key_hash.into(),
        hardware_id: hw.into(),
        user_email: None,
        client: None,
        waiter: None,
        borrow_hours: None,
    }
}

/// Two stores on one database stand in for two server processes.
async fn two_processes(url: &str) -> [Arc<PgStore>; 2] {
    [
        Arc::new(PgStore::connect(url).await.expect("connect a")),
        Arc::new(PgStore::connect(url).await.expect("connect b")),
    ]
}

/// A tenant with one license of `seats` seats and a session TTL of `ttl` seconds.
async fn one_license(store: &PgStore, slug: &str, seats: i64, ttl: i64) -> (Uuid, Uuid) {
    let tenant = store
        .create_tenant(
            NewTenant {
                name: Name::parse(slug).unwrap(),
                slug: Slug::parse(slug).unwrap(),
            },
            &superadmin(),
        )
        .await
        .expect("create tenant");
    let lic = store
        .create_license(new_license(tenant.id, slug, seats, ttl), &superadmin())
        .await
        .expect("create license");
    (tenant.id, lic.license.id)
}

/// Live sessions of a license as the table holds them, on the database's clock.
async fn live_in_table(conn: &mut PgConnection, license_id: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE license_id = $1 AND status = 'active' \
         AND expires_at > (SELECT clock_timestamp())",
    )
    .bind(license_id)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Migrations run again (as every process start does) on a migrated database, and 20
/// installations racing through two processes for 2 seats get exactly 2, as the table says.
async fn migrations_and_a_race_across_processes(url: String) {
    let stores = two_processes(&url).await;
    PgStore::migrate(&url).await.expect("migrate is idempotent");
    assert_eq!(stores[0].backend(), "postgres");
    let (_, license_id) = one_license(&stores[0], "race", 2, 60).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let st = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move { st.acquire(acquire_req("race", &format!("hw-{i}"))).await })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => granted += 1,
            Err(StoreError::Seat(_)) => {}
            Err(e) => panic!("unexpected acquire error: {e:?}"),
        }
    }
    assert_eq!(granted, 2, "exactly two seats granted");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    assert_eq!(live_in_table(&mut conn, license_id).await, 2);
    conn.close().await.unwrap();
}

/// Many installations acquire, heartbeat, release or abandon seats of a 3-seat license
/// with a 1-second TTL through two processes, while both reap and an admin force-releases.
/// A checker reading the table directly samples the live sessions throughout: never more
/// than 3; no operation fails with anything but a seat refusal (a deadlock or lock error
/// would be `Unavailable`); and no expiry is audited twice.
async fn mixed_workload_across_processes(url: String) {
    const SEATS: i64 = 3;
    let stores = two_processes(&url).await;
    let (tenant_id, license_id) = one_license(&stores[0], "mixed", SEATS, 1).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let ok_refusal = |e: &StoreError| matches!(e, StoreError::Seat(_));
    let granted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..12usize {
        let st = Arc::clone(&stores[w % 2]);
        let (granted, refused) = (Arc::clone(&granted), Arc::clone(&refused));
        tasks.push(tokio::spawn(async move {
            let mut round = 0u32;
            while tokio::time::Instant::now() < deadline {
                round += 1;
                let hw = format!("hw-{w}-{}", round % 3);
                match st.acquire(acquire_req("mixed", &hw)).await {
                    Ok(out) => {
                        granted.fetch_add(1, Ordering::Relaxed);
                        for _ in 0..(round % 4) {
                            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                            if let Err(e) = st.heartbeat("mixed", out.session.id).await {
                                assert!(ok_refusal(&e), "heartbeat: {e:?}");
                                break;
                            }
                        }
                        if round & 1 == 0 {
                            st.release("mixed", out.session.id).await.expect("release");
                        }
                    }
                    Err(e) => {
                        assert!(ok_refusal(&e), "acquire: {e:?}");
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }));
    }
    for st in &stores {
        let st = Arc::clone(st);
        tasks.push(tokio::spawn(async move {
            while tokio::time::Instant::now() < deadline {
                st.reap_expired(50).await.expect("reap");
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            }
        }));
    }
    {
        let st = Arc::clone(&stores[1]);
        tasks.push(tokio::spawn(async move {
            while tokio::time::Instant::now() < deadline {
                let live = st
                    .list_sessions(
                        tenant_id,
                        license_id,
                        Some(SessionStatus::Active),
                        PageRequest::default(),
                    )
                    .await
                    .expect("list");
                if let Some(victim) = live.items.first() {
                    st.force_release(tenant_id, victim.id, &superadmin())
                        .await
                        .expect("force");
                }
                tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            }
        }));
    }
    let mut checker = PgConnection::connect(&url).await.unwrap();
    let mut samples = 0;
    while tokio::time::Instant::now() < deadline {
        let live = live_in_table(&mut checker, license_id).await;
        assert!(
            live <= SEATS,
            "{live} live sessions on a {SEATS}-seat license"
        );
        samples += 1;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for t in tasks {
        t.await.expect("worker");
    }
    assert!(samples > 50);
    let (granted, refused) = (
        granted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    eprintln!("mixed workload: {granted} acquires granted, {refused} refused, {samples} samples");
    assert!(granted > 10 && refused > 10, "workload too light");
    let dup: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT resource_id FROM audit_log WHERE action = 'session.expire' \
         GROUP BY resource_id HAVING count(*) > 1) d",
    )
    .fetch_one(&mut checker)
    .await
    .unwrap();
    assert_eq!(dup, 0);
    checker.close().await.unwrap();
}

/// Runs `f` in a database of its own, or says why it is skipped.
async fn with_db<Fut>(f: fn(String) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL smoke test").await {
        db.run_then_drop(f).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_rerun_and_processes_share_the_seats() {
    with_db(migrations_and_a_race_across_processes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seat_invariant_across_processes_under_mixed_workload() {
    with_db(mixed_workload_across_processes).await;
}
