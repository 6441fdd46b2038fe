//! Graceful shutdown of the real binary: on SIGTERM the server stops accepting new
//! connections but finishes the requests already in flight, then exits 0. This is what
//! Kubernetes relies on when it stops a pod (deploy/k8s/deployment.yaml).
//!
//! To make requests reliably "in flight", the test holds SQLite's write lock from its own
//! connection, so the server's heartbeats wait inside the server (busy timeout) while the
//! signal arrives; then it lets go and expects every one of them to succeed.

#![cfg(unix)]

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Connection;

const TOKEN: &str = "shutdown-test-superadmin-token-0123456789";

async fn post(http: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .arg("serve")
        .env("CODITECT_LISTEN", format!("127.0.0.1:{port}"))
        .env("CODITECT_DATA_DIR", dir.path())
        .env_remove("CODITECT_DATABASE_URL")
        .env("CODITECT_BOOTSTRAP_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let pid = child.id().unwrap();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/readyz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server never ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (_, tenant) = post(
        &http,
        &format!("{base}/api/v1/tenants"),
        json!({"name": "Shutdown", "slug": "shutdown"}),
    )
    .await;
    let tenant = tenant["id"].as_str().unwrap().to_owned();
    let (_, license) = post(
        &http,
        &format!("{base}/api/v1/tenants/{tenant}/licenses"),
        json!({"seats_total": 10}),
    )
    .await;
    let key = license["license_key"].as_str().unwrap().to_owned();
    let mut sessions = Vec::new();
    for i in 0..4 {
        let (status, s) = post(
            &http,
            &format!("{base}/api/v1/licenses/acquire"),
            json!({"license_key": key, "hardware_id": format!("hw-{i}")}),
        )
        .await;
        assert_eq!(status, 201);
        sessions.push(s["session_id"].as_str().unwrap().to_owned());
    }

    // Hold the write lock so the heartbeats below stay in flight inside the server.
    let db = format!("sqlite://{}", dir.path().join("coditect.db").display());
    let mut lock = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let in_flight: Vec<_> = sessions
        .iter()
        .map(|id| {
            let (http, url) = (http.clone(), format!("{base}/api/v1/licenses/heartbeat"));
            let body = json!({"license_key": key, "session_id": id});
            tokio::spawn(async move { post(&http, &url, body).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(in_flight.iter().all(|t| !t.is_finished()), "not in flight");

    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server exited with requests still in flight"
    );
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/health/"))
            .send()
            .await
            .is_err(),
        "a draining server must not accept new connections"
    );

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    for t in in_flight {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "in-flight heartbeat failed: {body}");
        assert_eq!(body["status"], "active");
    }
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the server did not exit after draining")
        .unwrap();
    assert!(exit.success(), "exit status {exit}");
}
