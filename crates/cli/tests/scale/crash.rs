//! `kill -9` of a server during an acquire and heartbeat load, then a restart on the same
//! database: every seat a client was granted and did not release still heartbeats, and
//! `seats_used` is the live sessions, never over the seats.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::RwLock;

use crate::support::harness::{http_client, make_licenses, pg_admin_url, Db, Server};
use crate::support::load::{checker, reckon, run_workers, Held, Tally};

async fn kill_during_load(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&db, dir.path(), &crate::support::unlimited()).await;
    let http = http_client();
    let bases = Arc::new(RwLock::new(vec![server.base.clone()]));
    let keys = Arc::new(make_licenses(&http, &server.base, &[3, 5, 8]).await);
    let phase = crate::support::load_seconds() / 2;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (db, http, bases, keys) = (db.clone(), http.clone(), bases.clone(), keys.clone());
        let stop = stop.clone();
        async move { checker(&db, http, bases, keys, stop).await }
    });
    // Load, and kill the process in the middle of it.
    let load = tokio::spawn({
        let (http, bases, keys) = (http.clone(), bases.clone(), keys.clone());
        async move { run_workers(&http, bases, keys, 16, phase, Vec::new()).await }
    });
    tokio::time::sleep(phase / 2).await;
    server.kill9().await;
    let (held_before, tally_before): (Vec<Held>, Tally) = load.await.unwrap();
    let killed_at = Instant::now();
    server.restart().await;
    eprintln!("restarted in {:?}", killed_at.elapsed());
    // Every seat granted before the kill survived it.
    reckon(&db, &http, &server.base, &keys, &held_before, false).await;
    // And the restarted process carries on with them.
    let survivors = held_before.len();
    let (held_after, tally_after) =
        run_workers(&http, bases.clone(), keys.clone(), 16, phase, held_before).await;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    eprintln!(
        "kill -9 on {}: before {} granted, {} transport errors; after {} granted, {} released; \
         {} held ({survivors} carried over the kill)",
        if db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        },
        tally_before.granted,
        tally_before.transport_errors,
        tally_after.granted,
        tally_after.released,
        held_after.len()
    );
    assert!(samples.db_samples > 10, "the checker barely ran");
    for t in [&tally_before, &tally_after] {
        assert!(t.lost.is_empty(), "lost sessions: {:?}", t.lost);
        assert!(t.unexpected.is_empty(), "unexpected: {:?}", t.unexpected);
    }
    assert!(tally_before.granted > 10, "too little load before the kill");
    assert!(
        tally_before.transport_errors > 0,
        "the kill hit no request in flight"
    );
    assert!(
        tally_after.server_errors.is_empty(),
        "{:?}",
        tally_after.server_errors
    );
    assert!(samples.violations.is_empty(), "{:?}", samples.violations);
    assert!(
        tally_after.granted > 5 && tally_after.released > 5,
        "{tally_after:?}"
    );
    reckon(&db, &http, &server.base, &keys, &held_after, false).await;
    drop(server);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_load_loses_no_seat_on_sqlite() {
    kill_during_load(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_load_loses_no_seat_on_postgres() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL crash test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    kill_during_load(Db::postgres(&admin).await).await;
}
