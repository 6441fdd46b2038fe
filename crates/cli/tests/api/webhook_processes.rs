//! Outgoing webhooks across server processes: an event stored before a SIGKILL is
//! delivered after the restart, and three processes on one PostgreSQL share one outbox,
//! each event delivered once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::process::ServerProcess;
use crate::webhooks::{delivered, flaky_receiver, hook_app, register, until};

/// Settings of a server process that delivers webhooks to loopback quickly.
const FAST: &[(&str, &str)] = &[
    ("CODITECT_WEBHOOKS_ALLOW_HTTP", "true"),
    ("CODITECT_WEBHOOK_POLL_MS", "100"),
    ("CODITECT_WEBHOOK_FIRST_RETRY_MS", "200"),
];

#[tokio::test]
async fn an_event_stored_before_a_sigkill_is_delivered_after_the_restart() {
    let app = spawn_app().await;
    let url = app.db.url.clone();
    drop(app);
    let receiver = flaky_receiver(0).await;
    // This process looks at its outbox once, at start, then not for an hour: the event
    // is stored and not sent when it is killed.
    let idle: Vec<(&str, &str)> = vec![
        ("CODITECT_WEBHOOKS_ALLOW_HTTP", "true"),
        ("CODITECT_WEBHOOK_POLL_MS", "60000"),
    ];
    let first = ServerProcess::start_with(&url, &idle).await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, base: &str, path: &str, body: Value| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let t: Value = call(
        reqwest::Method::POST,
        &first.base,
        "/api/v1/tenants",
        json!({"name": "k", "slug": unique_slug()}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let tid = t["id"].as_str().unwrap();
    let hooks = format!("/api/v1/tenants/{tid}/webhooks");
    let r = call(
        reqwest::Method::POST,
        &first.base,
        &hooks,
        json!({"url": receiver.url("/k"), "events": ["license.created"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = call(
        reqwest::Method::POST,
        &first.base,
        &format!("/api/v1/tenants/{tid}/licenses"),
        json!({"seats_total": 1}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty(), "not sent before the kill");
    first.kill().await;
    let second = ServerProcess::start_with(&url, FAST).await;
    until(&receiver, "the event after the restart", |got| {
        delivered(got).len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 1, "delivered once");
    second.kill().await;
}

#[tokio::test]
async fn three_processes_on_one_postgresql_deliver_each_event_once() {
    if backend_name() != "postgres" {
        return; // one process owns a SQLite file; this runs in the PostgreSQL stage
    }
    let app = hook_app().await;
    let receiver = flaky_receiver(1).await;
    let procs = vec![
        ServerProcess::start_with(&app.db.url, FAST).await,
        ServerProcess::start_with(&app.db.url, FAST).await,
        ServerProcess::start_with(&app.db.url, FAST).await,
    ];
    let t = app.create_tenant(&unique_slug()).await;
    let tid = t["id"].as_str().unwrap();
    register(
        &app,
        &format!("/api/v1/tenants/{tid}/webhooks"),
        &receiver.url("/many"),
        &["license.created"],
    )
    .await;
    for _ in 0..40 {
        app.create_license(tid, json!({"seats_total": 1})).await;
    }
    // This process of the test sends too: four senders in all.
    until(&receiver, "40 events", |got| delivered(got).len() == 40).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = receiver.received();
    let counts = delivered(&got);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(
        got.len(),
        80,
        "one 500 and one 200 per event, no attempt twice at once"
    );
    for p in procs {
        p.kill().await;
    }
}
