//! `coditect-license backup` under load and `restore`: the copy holds every license and
//! session acknowledged before the backup began; restore is refused while a server has
//! the database open, and a server on the restored file serves them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::process::{run_cli, ServerProcess};

async fn cli(args: &[&str], db_url: &str) -> std::process::Output {
    run_cli(args, db_url, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_restores_everything_acknowledged_before_it() {
    if backend_name() != "sqlite" {
        return; // PostgreSQL is backed up with pg_dump / PITR (README); this runs on SQLite
    }
    let db = TestDb::new().await;
    let server = ServerProcess::start(&db.url).await;
    let http = reqwest::Client::new();
    let admin = |m: reqwest::Method, path: String, body: Value| {
        http.request(m, format!("{}{path}", server.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let t: Value = admin(
        reqwest::Method::POST,
        "/api/v1/tenants".into(),
        json!({"name": "b", "slug": unique_slug()}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let tid = t["id"].as_str().unwrap().to_owned();
    // (license id, key, session id) of every acknowledged acquire.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (http, base, tid, acked, stop) = (
            http.clone(),
            server.base.clone(),
            tid.clone(),
            acked.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let l: Value = http
                    .post(format!("{base}/api/v1/tenants/{tid}/licenses"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&json!({"seats_total": 5, "name": format!("load {i}")}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let key = l["license_key"].as_str().unwrap().to_owned();
                for hw in 0..3 {
                    let r = http
                        .post(format!("{base}/api/v1/licenses/acquire"))
                        .json(&json!({"license_key": key, "hardware_id": format!("hw-{i}-{hw}")}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                    let s: Value = r.json().await.unwrap();
                    acked.lock().unwrap().push((
                        l["id"].as_str().unwrap().to_owned(),
                        s["session_id"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before: Vec<(String, String)> = acked.lock().unwrap().clone();
    assert!(before.len() >= 6, "the load ran");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let out = cli(&["backup", "--out", file.to_str().unwrap()], &db.url).await;
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("licenses"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.await.unwrap();
    let after = acked.lock().unwrap().len();
    assert!(after > before.len(), "writes went on during the backup");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = cli(&["backup", "--out", file.to_str().unwrap()], &db.url).await;
    assert!(!again.status.success(), "a backup never overwrites a file");

    let refused = cli(&["restore", "--from", file.to_str().unwrap()], &db.url).await;
    assert!(!refused.status.success(), "restore while the server runs");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.kill().await;
    let restored = cli(&["restore", "--from", file.to_str().unwrap()], &db.url).await;
    assert!(
        restored.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&restored.stderr)
    );

    let server = ServerProcess::start(&db.url).await;
    let mut by_license: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (lid, sid) in &before {
        by_license.entry(lid.clone()).or_default().push(sid.clone());
    }
    let mut seen_total = 0;
    for (lid, sessions) in &by_license {
        let r = http
            .get(format!(
                "{}/api/v1/tenants/{tid}/licenses/{lid}/sessions?limit=200",
                server.base
            ))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "license {lid} restored");
        let page: Value = r.json().await.unwrap();
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        for s in sessions {
            assert!(
                ids.contains(&s.as_str()),
                "session {s} of {lid} acknowledged before the backup is restored"
            );
            seen_total += 1;
        }
    }
    assert_eq!(seen_total, before.len());
    server.kill().await;
}
