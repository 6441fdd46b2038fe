//! Redis as an accelerator that may vanish: rate limits shared by every process while it
//! is there, per process while it is not, and neither a FLUSHALL nor an outage during a
//! load breaks a seat, loses a session or turns into a 5xx.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::RwLock;

use crate::support::harness::{
    http_client, make_licenses, pg_admin_url, Db, OwnRedis, Server, ADMIN_TOKEN,
};
use crate::support::load::{checker, reckon, run_workers};

const NO_REDIS: &str = "skipping Redis test: redis-server is not installed";

async fn readyz(http: &reqwest::Client, base: &str) -> (u16, Value) {
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

/// Sends `validate` for `key` to `base`; the status and `Retry-After`.
async fn validate(http: &reqwest::Client, base: &str, key: &str) -> (u16, Option<u64>, Value) {
    let r = http
        .post(format!("{base}/api/v1/licenses/validate"))
        .json(&json!({"license_key": key}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, r.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_flush_and_outage_during_load_break_nothing() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL Redis test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    let Some(mut redis) = OwnRedis::start().await else {
        eprintln!("{NO_REDIS}");
        return;
    };
    let db = Db::postgres(&admin).await;
    // Limits high enough never to refuse this load, so every request goes through Redis.
    let env = [
        ("CODITECT_REDIS_URL", redis.url()),
        ("CODITECT_REDIS_TIMEOUT_MS", "200".into()),
        ("CODITECT_RATE_LIMIT_PER_KEY", "100000000".into()),
        ("CODITECT_RATE_LIMIT_PER_IP", "100000000".into()),
    ];
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut servers = Vec::new();
    for d in &dirs {
        servers.push(Server::start(&db, d.path(), &env).await);
    }
    let http = http_client();
    assert_eq!(readyz(&http, &servers[0].base).await.1["redis"], "up");
    let bases = Arc::new(RwLock::new(
        servers.iter().map(|s| s.base.clone()).collect::<Vec<_>>(),
    ));
    let keys = Arc::new(make_licenses(&http, &servers[0].base, &[2, 3, 5]).await);
    let duration = crate::support::load_seconds();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (db, http, bases, keys) = (db.clone(), http.clone(), bases.clone(), keys.clone());
        let stop = stop.clone();
        async move { checker(&db, http, bases, keys, stop).await }
    });
    let load = tokio::spawn({
        let (http, bases, keys) = (http.clone(), bases.clone(), keys.clone());
        async move { run_workers(&http, bases, keys, 16, duration, Vec::new()).await }
    });
    let started = Instant::now();
    tokio::time::sleep(duration / 4).await;
    assert_eq!(redis.command("FLUSHALL").await.as_deref(), Some("+OK"));
    tokio::time::sleep(duration / 6).await;
    redis.kill9().await;
    let outage_from = started.elapsed();
    tokio::time::sleep(duration / 6).await;
    // The contract's default: a configured Redis that does not answer makes the process
    // unready, while its client endpoints keep serving (checked by the load's tally).
    let (status, body) = readyz(&http, &servers[1].base).await;
    assert_eq!(
        status, 503,
        "a Redis outage makes the process unready: {body}"
    );
    assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
    assert_eq!(body["error"]["details"]["dependency"], "redis", "{body}");
    tokio::time::sleep(duration / 6).await;
    redis.restart().await;
    let outage_to = started.elapsed();
    let (held, tally) = load.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    eprintln!(
        "Redis flushed at {:?}, down {outage_from:?}..{outage_to:?}: {} granted, {} refused, \
         {} heartbeats, {} released, {} held, max latency {:?}, {} db samples",
        duration / 4,
        tally.granted,
        tally.refused,
        tally.heartbeats,
        tally.released,
        held.len(),
        tally.max_latency,
        samples.db_samples
    );
    assert!(
        tally.server_errors.is_empty(),
        "5xx: {:?}",
        tally.server_errors
    );
    assert!(tally.lost.is_empty(), "lost: {:?}", tally.lost);
    assert!(
        tally.unexpected.is_empty(),
        "unexpected: {:?}",
        tally.unexpected
    );
    assert_eq!(tally.rate_limited, 0);
    assert_eq!(tally.transport_errors, 0);
    // Bounded by the Redis timeout plus scheduling, never by Redis's absence.
    assert!(
        tally.max_latency < Duration::from_secs(5),
        "{:?}",
        tally.max_latency
    );
    assert!(
        samples.violations.is_empty(),
        "oversold: {:?}",
        &samples.violations[..samples.violations.len().min(5)]
    );
    assert!(tally.granted > 30 && tally.refused > 30, "{tally:?}");
    for s in &servers {
        reckon(&db, &http, &s.base, &keys, &held, true).await;
    }
    // Redis is back: every process finds it again and is ready.
    for s in &servers {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (status, body) = readyz(&http, &s.base).await;
            if status == 200 && body["redis"] == "up" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "never ready again: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    drop(servers);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_shared_by_all_processes_through_redis() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL Redis test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    let Some(redis) = OwnRedis::start().await else {
        eprintln!("{NO_REDIS}");
        return;
    };
    let db = Db::postgres(&admin).await;
    let env = [
        ("CODITECT_REDIS_URL", redis.url()),
        ("CODITECT_RATE_LIMIT_PER_KEY", "20".into()),
        ("CODITECT_RATE_LIMIT_PER_IP", "0".into()),
        ("CODITECT_RATE_LIMIT_WINDOW_SECONDS", "60".into()),
    ];
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(&db, d1.path(), &env).await;
    let b = Server::start(&db, d2.path(), &env).await;
    let http = http_client();
    let keys = make_licenses(&http, &a.base, &[1]).await;
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..30 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (status, retry, body) = validate(&http, base, &keys[0]).await;
        match status {
            200 => ok += 1,
            429 => {
                limited += 1;
                assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                assert!(body["error"]["request_id"].is_string());
                assert!(matches!(retry, Some(1..=60)), "Retry-After {retry:?}");
            }
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert_eq!((ok, limited), (20, 10), "one limit across both processes");
    // The counters live in Redis: flushing them lifts the limit everywhere.
    assert_eq!(redis.command("FLUSHALL").await.as_deref(), Some("+OK"));
    assert_eq!(validate(&http, &b.base, &keys[0]).await.0, 200);
    drop((a, b));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_per_process_without_redis() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite();
    let env = [
        ("CODITECT_RATE_LIMIT_PER_KEY", "5".into()),
        ("CODITECT_RATE_LIMIT_PER_IP", "0".into()),
        ("CODITECT_RATE_LIMIT_PER_ADMIN_TOKEN", "4".into()),
    ];
    let s = Server::start(&db, dir.path(), &env).await;
    let http = http_client();
    // Three admin requests (a tenant, two licenses); the fourth is allowed, the fifth not.
    let keys = make_licenses(&http, &s.base, &[1, 1]).await;
    let get = |http: reqwest::Client, url: String| async move {
        http.get(url).bearer_auth(ADMIN_TOKEN).send().await.unwrap()
    };
    let tenants = format!("{}/api/v1/tenants", s.base);
    assert_eq!(
        get(http.clone(), tenants.clone()).await.status().as_u16(),
        200
    );
    let fifth = get(http.clone(), tenants.clone()).await;
    assert_eq!(fifth.status().as_u16(), 429);
    assert!(fifth.headers().get("retry-after").is_some());
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..7 {
            v.push(validate(&http, &s.base, &keys[0]).await.0);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Another license key has its own budget.
    assert_eq!(validate(&http, &s.base, &keys[1]).await.0, 200);
}
