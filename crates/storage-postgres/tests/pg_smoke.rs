//! Smoke test against a real PostgreSQL. Skipped unless `CODITECT_TEST_DATABASE_URL`
//! names a database the test may connect to as a role that can create databases, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`. It creates a throwaway database, runs
//! the checks through two stores (standing in for two server processes) and drops it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use coditect_domain::input::{Name, Slug};
use coditect_domain::{
    Actor, ActorType, NewLicense, NewTenant, PageRequest, SeatError, SessionStatus,
};
use coditect_storage::prelude::*;
use coditect_storage::{AcquireRequest, NewSigningKey, StoreError};
use coditect_storage_postgres::PgStore;
use serde_json::Map;
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

const ADMIN_URL_VAR: &str = "CODITECT_TEST_DATABASE_URL";

/// The admin URL with its database name replaced.
fn url_for_db(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

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

async fn run(url: String) {
    // Two stores on one database stand in for two server processes.
    let stores: [Arc<PgStore>; 2] = [
        Arc::new(PgStore::connect(&url).await.expect("connect a")),
        Arc::new(PgStore::connect(&url).await.expect("connect b")),
    ];
    PgStore::migrate(&url).await.expect("migrate is idempotent");
    let s = &stores[0];
    assert_eq!(s.backend(), "postgres");
    s.ping().await.expect("ping");

    let tenant = s
        .create_tenant(
            NewTenant {
                name: Name::parse("Smoke Co").unwrap(),
                slug: Slug::parse("smoke").unwrap(),
            },
            &superadmin(),
        )
        .await
        .expect("create tenant");
    let dup = s
        .create_tenant(
            NewTenant {
                name: Name::parse("Again").unwrap(),
                slug: Slug::parse("smoke").unwrap(),
            },
            &superadmin(),
        )
        .await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict(coditect_storage::ConflictField::Slug))
        ),
        "{dup:?}"
    );

    // 20 distinct installations race for 2 seats: exactly 2 win, the rest get NoSeats.
    let lic = s
        .create_license(new_license(tenant.id, "hash-a", 2, 60), &superadmin())
        .await
        .expect("create license");
    assert_eq!(lic.seats_used, 0);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let st = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move { st.acquire(acquire_req("hash-a", &format!("hw-{i}"))).await })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(out) => {
                assert!(out.created);
                granted += 1;
            }
            Err(StoreError::Seat(SeatError::NoSeats { seats_total: 2, .. })) => {}
            Err(e) => panic!("unexpected acquire error: {e:?}"),
        }
    }
    assert_eq!(granted, 2, "exactly two seats granted");
    let got = s
        .get_license(tenant.id, lic.license.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.seats_used, 2);

    // 20 acquires from one installation: one seat, one session, exactly one `created`.
    let lic_b = s
        .create_license(new_license(tenant.id, "hash-b", 2, 60), &superadmin())
        .await
        .expect("create license b");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let st = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move { st.acquire(acquire_req("hash-b", "same-hw")).await })
        })
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for t in tasks {
        let out = t.await.expect("task").expect("same-hardware acquire");
        created += usize::from(out.created);
        ids.push(out.session.id);
    }
    assert_eq!(created, 1);
    assert!(ids.iter().all(|id| *id == ids[0]), "one session id");
    let sessions = s
        .list_sessions(tenant.id, lic_b.license.id, None, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(sessions.items.len(), 1);

    // Heartbeat and release, then a heartbeat on the released session is refused.
    let hb = stores[1]
        .heartbeat("hash-b", ids[0])
        .await
        .expect("heartbeat");
    assert_eq!(hb.seats_used, 1);
    let rel = s.release("hash-b", ids[0]).await.expect("release");
    assert!(rel.released);
    assert!(!s.release("hash-b", ids[0]).await.unwrap().released);
    let hb = s.heartbeat("hash-b", ids[0]).await;
    assert!(
        matches!(
            hb,
            Err(StoreError::Seat(SeatError::SessionReleased {
                forced: false
            }))
        ),
        "{hb:?}"
    );
    assert!(matches!(
        s.heartbeat("hash-a", ids[0]).await,
        Err(StoreError::SessionNotFound)
    ));
    assert!(matches!(
        s.acquire(acquire_req("nope", "hw")).await,
        Err(StoreError::LicenseNotFound)
    ));

    // A 1-second session expires; reapers racing in both stores audit it exactly once.
    s.create_license(new_license(tenant.id, "hash-c", 1, 1), &superadmin())
        .await
        .unwrap();
    s.acquire(acquire_req("hash-c", "hw-c")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let st = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move { st.reap_expired(100).await })
        })
        .collect();
    let mut reaped = 0;
    for t in tasks {
        reaped += t.await.expect("task").expect("reap");
    }
    assert_eq!(reaped, 1);
    let audit = s
        .list_audit(tenant.id, PageRequest::default())
        .await
        .unwrap();
    let expire_entries = audit
        .items
        .iter()
        .filter(|a| a.action == "session.expire")
        .count();
    assert_eq!(expire_entries, 1);

    // Several processes starting with no signing key store exactly one.
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let st = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move {
                let key = NewSigningKey {
                    kid: format!("kid-{i}"),
                    alg: "ES256".into(),
                    private_sealed: "sealed".into(),
                    public_jwk: serde_json::json!({"kty": "EC", "kid": format!("kid-{i}")}),
                };
                st.add_signing_key(key, false, chrono::Utc::now()).await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("add signing key");
    }
    let keys = s.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].is_current);
}

/// Many installations acquire, heartbeat, release or abandon seats of a 3-seat license
/// with a 1-second TTL while reapers and an admin's forced releases run in both stores.
/// A checker samples the live sessions throughout: never more than 3, and no operation
/// fails with anything but a seat refusal (a deadlock or lock error would be `Unavailable`).
async fn mixed_workload(url: String) {
    const SEATS: i64 = 3;
    let stores: [Arc<PgStore>; 2] = [
        Arc::new(PgStore::connect(&url).await.expect("connect a")),
        Arc::new(PgStore::connect(&url).await.expect("connect b")),
    ];
    let s = &stores[0];
    let tenant = s
        .create_tenant(
            NewTenant {
                name: Name::parse("Mixed").unwrap(),
                slug: Slug::parse("mixed").unwrap(),
            },
            &superadmin(),
        )
        .await
        .unwrap();
    let lic = s
        .create_license(new_license(tenant.id, "hash-m", SEATS, 1), &superadmin())
        .await
        .unwrap();
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
                match st.acquire(acquire_req("hash-m", &hw)).await {
                    Ok(out) => {
                        granted.fetch_add(1, Ordering::Relaxed);
                        assert!(
                            out.seats_used <= SEATS,
                            "reply over seats: {}",
                            out.seats_used
                        );
                        for _ in 0..(round % 4) {
                            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                            if let Err(e) = st.heartbeat("hash-m", out.session.id).await {
                                assert!(ok_refusal(&e), "heartbeat: {e:?}");
                                break;
                            }
                        }
                        if round & 1 == 0 {
                            st.release("hash-m", out.session.id).await.expect("release");
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
        let (tid, lid) = (tenant.id, lic.license.id);
        tasks.push(tokio::spawn(async move {
            let actor = superadmin();
            while tokio::time::Instant::now() < deadline {
                let live = st
                    .list_sessions(
                        tid,
                        lid,
                        Some(SessionStatus::Active),
                        PageRequest::default(),
                    )
                    .await
                    .expect("list");
                assert!(
                    live.items.len() as i64 <= SEATS,
                    "listed {} live",
                    live.items.len()
                );
                if let Some(victim) = live.items.first() {
                    st.force_release(tid, victim.id, &actor)
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
        let live: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sessions WHERE license_id = $1 AND status = 'active' \
             AND expires_at > (SELECT clock_timestamp())",
        )
        .bind(lic.license.id)
        .fetch_one(&mut checker)
        .await
        .unwrap();
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
    // Every session ever expired was audited exactly once.
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

/// Creates a throwaway database, runs `f` on its URL in a task and drops the database even
/// when `f` panics. Returns without running anything when the admin URL is not set.
async fn with_db<F, Fut>(f: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Ok(admin_url) = std::env::var(ADMIN_URL_VAR) else {
        eprintln!("skipping PostgreSQL smoke test: {ADMIN_URL_VAR} is not set");
        return;
    };
    let db = format!("smoke_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("connect as admin");
    admin
        .execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .expect("create database");
    let outcome = tokio::spawn(f(url_for_db(&admin_url, &db))).await;
    admin
        .execute(format!("DROP DATABASE {db} WITH (FORCE)").as_str())
        .await
        .expect("drop database");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seat_invariant_under_concurrency() {
    with_db(run).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seat_invariant_under_mixed_workload() {
    with_db(mixed_workload).await;
}
