//! Three server processes on one PostgreSQL database serve the contract as one does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::RwLock;

use crate::support::harness::{http_client, make_licenses, pg_admin_url, Db, Server};
use crate::support::load::{checker, reckon, run_workers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_postgres_never_oversell_nor_lose_a_session() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL scale test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    let db = Db::postgres(&admin).await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut servers = Vec::new();
    for d in &dirs {
        servers.push(Server::start(&db, d.path(), &crate::support::unlimited()).await);
    }
    let http = http_client();
    let bases = Arc::new(RwLock::new(
        servers.iter().map(|s| s.base.clone()).collect::<Vec<_>>(),
    ));
    // Few seats, many workers: most acquires race for the last seat of a license.
    let keys = Arc::new(make_licenses(&http, &servers[0].base, &[2, 3, 5, 8]).await);
    let duration = crate::support::load_seconds();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (db, http, bases, keys) = (db.clone(), http.clone(), bases.clone(), keys.clone());
        let stop = stop.clone();
        async move { checker(&db, http, bases, keys, stop).await }
    });
    let (held, tally) =
        run_workers(&http, bases.clone(), keys.clone(), 24, duration, Vec::new()).await;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    eprintln!(
        "3 processes, {duration:?}: {} granted, {} refused, {} heartbeats, {} released; \
         {} db samples, {} api samples, fullest {:.2}, {} held at the end, max latency {:?}",
        tally.granted,
        tally.refused,
        tally.heartbeats,
        tally.released,
        samples.db_samples,
        samples.api_samples,
        samples.fullest,
        held.len(),
        tally.max_latency
    );
    assert!(
        samples.violations.is_empty(),
        "oversold: {:?}",
        &samples.violations[..samples.violations.len().min(5)]
    );
    assert!(
        tally.lost.is_empty(),
        "lost sessions: {:?}",
        &tally.lost[..tally.lost.len().min(5)]
    );
    assert!(
        tally.unexpected.is_empty(),
        "unexpected: {:?}",
        tally.unexpected
    );
    assert!(
        tally.server_errors.is_empty(),
        "5xx: {:?}",
        tally.server_errors
    );
    assert_eq!(tally.transport_errors, 0);
    // The load was real: seats ran out and were freed again, and the checker saw it.
    assert!(
        tally.granted > 50 && tally.refused > 50 && tally.released > 50,
        "{tally:?}"
    );
    assert!(samples.db_samples > 20 && samples.api_samples > 20);
    assert!(samples.fullest >= 1.0, "no license was ever full");
    for s in &servers {
        reckon(&db, &http, &s.base, &keys, &held, true).await;
    }
    drop(servers);
    db.drop_db().await;
}
