//! Seat queuing: an acquire with `wait_seconds` gets a seat as soon as one frees up, in
//! arrival order, and never past `seats_total`, also with two server processes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::helpers::*;
use crate::support::process::ServerProcess;

async fn acquire_waiting(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    hw: &str,
    wait: u64,
) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/licenses/acquire"))
        .json(&json!({"license_key": key, "hardware_id": hw, "wait_seconds": wait}))
        .send()
        .await
        .expect("acquire sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn release(http: &reqwest::Client, base: &str, key: &str, sid: &str) {
    let res = http
        .post(format!("{base}/api/v1/licenses/release"))
        .json(&json!({"license_key": key, "session_id": sid}))
        .send()
        .await
        .expect("release sent");
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_acquire_gets_the_seat_within_a_second_of_its_release() {
    let app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap().to_owned();
    let held = app.acquire(&key, "holder").await.expect(201);
    let (http, base, k) = (app.http.clone(), app.base.clone(), key.clone());
    let waiter = tokio::spawn(async move {
        let r = acquire_waiting(&http, &base, &k, "waiter", 30).await;
        (r, Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !waiter.is_finished(),
        "the waiter must wait while the seat is held"
    );
    let released_at = Instant::now();
    app.release(&key, held["session_id"].as_str().unwrap())
        .await
        .expect(200);
    let ((status, body), granted_at) = waiter.await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["seats_used"], 1);
    let lag = granted_at - released_at;
    assert!(
        lag < Duration::from_secs(1),
        "granted {lag:?} after the release"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_waiters_are_served_in_arrival_order() {
    let app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap().to_owned();
    let held = app.acquire(&key, "holder").await.expect(201);
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for name in ["first", "second", "third"] {
        let (http, base, k, order) = (
            app.http.clone(),
            app.base.clone(),
            key.clone(),
            order.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (status, body) = acquire_waiting(&http, &base, &k, name, 60).await;
            assert_eq!(status, 201, "{name}: {body}");
            order.lock().unwrap().push(name);
            // Hold the seat briefly, then hand it on.
            tokio::time::sleep(Duration::from_millis(300)).await;
            release(&http, &base, &k, body["session_id"].as_str().unwrap()).await;
        }));
        // Arrival order is the order the server queued them in.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    // While they wait, a newcomer that does not wait is refused even if a seat frees up.
    let r = app.acquire(&key, "newcomer").await;
    r.expect_error(409, "no_seats_available");
    assert_eq!(r.body["error"]["details"]["waiting"], 3);
    app.release(&key, held["session_id"].as_str().unwrap())
        .await
        .expect(200);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec!["first", "second", "third"]);
}

#[tokio::test]
async fn a_wait_ends_with_409_at_its_deadline_and_leaves_no_place_behind() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap();
    let held = app.acquire(key, "holder").await.expect(201);
    let started = Instant::now();
    let r = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": key, "hardware_id": "patient", "wait_seconds": 1}),
        )
        .await;
    r.expect_error(409, "no_seats_available");
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(r.body["error"]["details"]["waiting"], 0);
    // The wait that ran out is a denial in the usage history, counted once (the retries
    // inside the wait are not).
    let usage = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/analytics?bucket=minute"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(usage["denials_total"], 1, "{usage}");
    app.release(key, held["session_id"].as_str().unwrap())
        .await
        .expect(200);
    // The timed-out waiter holds no place: a plain acquire gets the free seat at once.
    app.acquire(key, "next").await.expect(201);
}

#[tokio::test]
async fn wait_seconds_is_validated() {
    let app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap();
    for bad in [json!(301), json!(-1), json!("5"), json!(1.5), json!(null)] {
        let r = app
            .client(
                "/api/v1/licenses/acquire",
                json!({"license_key": key, "hardware_id": "h", "wait_seconds": bad}),
            )
            .await;
        r.expect_error(422, "validation_error");
        assert!(r.body["error"]["details"]["fields"]["wait_seconds"].is_string());
    }
    // A free seat is granted at once whatever the wait.
    let r = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": key, "hardware_id": "h", "wait_seconds": 300}),
        )
        .await;
    r.expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_across_two_server_processes_never_hold_two_seats_of_one() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap().to_owned(),
        lic["id"].as_str().unwrap().to_owned(),
    );
    let procs = [
        ServerProcess::start(&app.db.url).await,
        ServerProcess::start(&app.db.url).await,
    ];
    let held = app.acquire(&key, "holder").await.expect(201);
    let holds = Arc::new(Mutex::new(Vec::<(Instant, Instant)>::new()));
    let tasks = (0..6).map(|i| {
        let (http, base, k, holds) = (
            app.http.clone(),
            procs[i % 2].base.clone(),
            key.clone(),
            holds.clone(),
        );
        async move {
            let (status, body) = acquire_waiting(&http, &base, &k, &format!("w{i}"), 60).await;
            assert_eq!(status, 201, "waiter {i}: {body}");
            let got = Instant::now();
            tokio::time::sleep(Duration::from_millis(150)).await;
            let gave = Instant::now();
            release(&http, &base, &k, body["session_id"].as_str().unwrap()).await;
            holds.lock().unwrap().push((got, gave));
        }
    });
    let sampler = {
        let app_http = app.http.clone();
        let url = app.url(&format!(
            "/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=active"
        ));
        tokio::spawn(async move {
            let mut max = 0;
            for _ in 0..200 {
                let res = app_http
                    .get(&url)
                    .bearer_auth(ADMIN_TOKEN)
                    .send()
                    .await
                    .unwrap();
                let body: Value = res.json().await.unwrap();
                max = max.max(body["items"].as_array().unwrap().len());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            max
        })
    };
    let all = tokio::spawn(join_all(tasks));
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.release(&key, held["session_id"].as_str().unwrap())
        .await
        .expect(200);
    all.await.unwrap();
    assert!(
        sampler.await.unwrap() <= 1,
        "two live sessions seen on a 1-seat license"
    );
    let mut holds = holds.lock().unwrap().clone();
    assert_eq!(holds.len(), 6, "every waiter was served");
    holds.sort();
    for w in holds.windows(2) {
        assert!(w[0].1 <= w[1].0, "two waiters held the only seat at once");
    }
    for p in procs {
        p.kill().await;
    }
}
