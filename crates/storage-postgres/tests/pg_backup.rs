//! The PostgreSQL backup procedure of the README, tested: `pg_dump -Fc` of a database
//! while acquires keep committing, `pg_restore` into an empty database, and a store on the
//! restored copy holds every session acknowledged before the dump began (and sells them
//! on: the restored license is never over its seats).
//!
//! Skipped unless `CODITECT_TEST_DATABASE_URL` is set (like pg_smoke); CI fails on the skip.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use coditect_domain::input::{Name, Slug};
use coditect_domain::{Actor, ActorType, NewLicense, NewTenant, PageRequest, SessionStatus};
use coditect_storage::prelude::*;
use coditect_storage::AcquireRequest;
use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;
use serde_json::Map;
use uuid::Uuid;

const SEATS: i64 = 400;

fn run(cmd: &str, args: &[&str]) {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} runs (postgresql-client installed?): {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_dump_taken_under_load_restores_every_session_acknowledged_before_it() {
    let Some(source) = TestDatabase::postgres_or_skip("PostgreSQL backup test").await else {
        return;
    };
    let target =
        TestDatabase::postgres(&coditect_test_support::postgres_admin_url().unwrap()).await;
    let store = Arc::new(PgStore::connect(source.url()).await.expect("connect"));
    let actor = Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("backup-test".into()),
    };
    let tenant = store
        .create_tenant(
            NewTenant {
                name: Name::parse("Backed Up").unwrap(),
                slug: Slug::parse("backed-up").unwrap(),
            },
            &actor,
        )
        .await
        .unwrap();
    let license = store
        .create_license(
            NewLicense {
                tenant_id: tenant.id,
                name: Some("dumped".into()),
                key_sealed: "p1:KEY".into(),
                key_hash: "backup-key-hash".into(),
                key_hint: "KEY1".into(),
                seats_total: SEATS,
                expires_at: None,
                heartbeat_ttl_seconds: 3600,
                entitlements: vec![],
                metadata: Map::new(),
                is_active: true,
                max_borrow_hours: 0,
                product_id: None,
                subscription: None,
            },
            &actor,
        )
        .await
        .unwrap();

    // Acquires commit continuously; each acknowledged session is recorded.
    let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..4 {
        let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) && n < SEATS / 4 {
                let req = AcquireRequest {
                    key_hash: "backup-key-hash".into(),
                    hardware_id: format!("hw-{worker}-{n}"),
                    user_email: None,
                    client: None,
                    waiter: None,
                    borrow_hours: None,
                };
                let got = store.acquire(req).await.expect("an acquire");
                acked.lock().unwrap().push(got.session.id);
                n += 1;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before: Vec<Uuid> = acked.lock().unwrap().clone();
    assert!(!before.is_empty(), "load ran before the dump");
    let dir = tempfile_dir();
    let file = format!("{dir}/coditect.dump");
    run("pg_dump", &["-Fc", "-f", &file, "-d", source.url()]);
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let after_dump = acked.lock().unwrap().len();
    run("pg_restore", &["--no-owner", "-d", target.url(), &file]);

    let restored = PgStore::connect(target.url())
        .await
        .expect("the restored copy opens");
    let mut live = Vec::new();
    let mut page = PageRequest {
        after: None,
        limit: 200,
    };
    loop {
        let p = restored
            .list_sessions(
                tenant.id,
                license.license.id,
                Some(SessionStatus::Active),
                page,
            )
            .await
            .unwrap();
        live.extend(p.items.iter().map(|s| s.id));
        match p.next_after {
            Some(c) => page.after = Some(c),
            None => break,
        }
    }
    for id in &before {
        assert!(
            live.contains(id),
            "session {id}, acknowledged before the dump, is missing"
        );
    }
    assert!(
        live.len() <= after_dump,
        "the copy holds no session that was never acknowledged"
    );
    let l = restored
        .find_license_by_key("backup-key-hash")
        .await
        .unwrap()
        .expect("the license");
    assert_eq!(l.seats_used, live.len() as i64);
    assert!(l.seats_used <= SEATS);
    eprintln!(
        "pg backup: {} sessions acknowledged before pg_dump, {after_dump} by the end of the load, {} in the restored copy",
        before.len(),
        live.len()
    );
    drop(restored);
    drop(store);
    source.drop_database().await;
    target.drop_database().await;
    std::fs::remove_dir_all(&dir).ok();
}

fn tempfile_dir() -> String {
    let d = std::env::temp_dir().join(format!("coditect-pg-backup-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d.display().to_string()
}
