//! The SDK scenarios of tests/sdk/scenarios.txt for the Rust client, one test per id, each
//! against its own testbed (tests/sdk/testbed.py: a real server behind two relays). The
//! Python and Node packages run the same list against the same testbed.

mod testbed;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coditect_license_client::{
    blocking, ClientConfig, Error, Lease, LeaseState, LicenseClient, LostReason,
};
use serde_json::json;
use tempfile::TempDir;
use testbed::Testbed;

/// A client of the testbed's first address (and its second, when `fallback`).
fn client(bed: &Testbed, key: &str, hw: &str, dir: &TempDir, fallback: bool) -> LicenseClient {
    let mut cfg = ClientConfig::new(bed.primary.clone(), key, "sdk-scenarios")
        .hardware_id(hw)
        .jwks_cache(dir.path().join("jwks.json"));
    if fallback {
        cfg = cfg.fallback_url(bed.secondary.clone());
    }
    LicenseClient::new(cfg).expect("client")
}

/// Waits up to `secs` for a state `f` accepts; fails with the last state otherwise.
async fn wait_for(lease: &Lease, secs: u64, f: impl Fn(&LeaseState) -> bool) -> LeaseState {
    let mut rx = lease.subscribe();
    let r = tokio::time::timeout(Duration::from_secs(secs), rx.wait_for(|s| f(s))).await;
    assert!(r.is_ok(), "state not reached; last: {:?}", lease.state());
    lease.state()
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn instant(v: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().expect("a time").parse().expect("RFC 3339")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquire() {
    let bed = Testbed::start().await;
    let (key, lid) = bed
        .license(json!({"seats_total": 1, "entitlements": ["export"]}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-acquire", &dir, false)
        .acquire()
        .await
        .expect("acquire");
    assert_eq!(lease.state(), LeaseState::Active);
    assert!(lease.is_usable());
    assert!(lease.has_entitlement("export"));
    assert!(!lease.has_entitlement("import"));
    assert_eq!(lease.token().split('.').count(), 3, "a JWS compact token");
    assert_eq!(bed.seats_used(&lid).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_beyond_ttl() {
    let bed = Testbed::start().await;
    let (key, _) = bed
        .license(json!({"seats_total": 1, "heartbeat_ttl_seconds": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-beat", &dir, false)
        .acquire()
        .await
        .unwrap();
    let sid = lease.session_id();
    let before = bed.session(sid).await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let after = bed.session(sid).await;
    assert_eq!(lease.session_id(), sid, "the same session");
    assert_eq!(lease.state(), LeaseState::Active);
    assert_eq!(after["status"], "active");
    assert!(instant(&after["expires_at"]) > instant(&before["expires_at"]));
    assert!(instant(&after["last_heartbeat_at"]) > instant(&before["last_heartbeat_at"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart() {
    let bed = Testbed::start().await;
    let (key, lid) = bed
        .license(json!({"seats_total": 1, "heartbeat_ttl_seconds": 6}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-restart", &dir, false)
        .acquire()
        .await
        .unwrap();
    let sid = lease.session_id();
    bed.post("/server/restart").await;
    assert!(lease.is_usable(), "usable through the restart");
    let seat = lease
        .heartbeat_now()
        .await
        .expect("heartbeat after restart");
    assert_eq!(seat.session_id, sid);
    assert_eq!(lease.session_id(), sid);
    assert_eq!(lease.state(), LeaseState::Active);
    assert_eq!(bed.seats_used(&lid).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_release() {
    let bed = Testbed::start().await;
    let (key, lid) = bed
        .license(json!({"seats_total": 1, "heartbeat_ttl_seconds": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&bed, &key, "hw-forced", &dir, false);
    let lease = c.acquire().await.unwrap();
    bed.post(&format!("/sessions/{}/force-release", lease.session_id()))
        .await;
    let state = wait_for(&lease, 5, |s| matches!(s, LeaseState::Lost(_))).await;
    assert_eq!(state, LeaseState::Lost(LostReason::Forced));
    assert!(!lease.is_usable());
    assert_eq!(
        bed.seats_used(&lid).await,
        0,
        "the lease did not retake the seat"
    );
    let again = c.acquire().await.expect("a new acquire works");
    assert_eq!(again.state(), LeaseState::Active);
    assert_ne!(again.session_id(), lease.session_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_reacquire() {
    let bed = Testbed::start().await;
    let (key, lid) = bed
        .license(json!({"seats_total": 1, "heartbeat_ttl_seconds": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-expiry", &dir, false)
        .acquire()
        .await
        .unwrap();
    let sid = lease.session_id();
    bed.post(&format!("/sessions/{sid}/expire")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while lease.session_id() == sid {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no re-acquire: {:?}",
            lease.state()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(lease.state(), LeaseState::Active);
    assert_eq!(bed.session(lease.session_id()).await["status"], "active");
    assert_eq!(bed.seats_used(&lid).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_on_scope_exit() {
    let bed = Testbed::start().await;
    let (key, lid) = bed.license(json!({"seats_total": 1})).await;
    let dir = tempfile::tempdir().unwrap();
    let sid = {
        let lease = client(&bed, &key, "hw-scope", &dir, false)
            .acquire()
            .await
            .unwrap();
        assert_eq!(bed.seats_used(&lid).await, 1);
        lease.session_id()
    };
    // Dropping the lease released the seat in the background.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while bed.seats_used(&lid).await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the seat is still held"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(bed.session(sid).await["status"], "released");
}

/// Run as a child process by `release_on_process_exit`: takes a seat with the blocking
/// client, prints its session, and returns without releasing it.
#[test]
#[ignore = "a child process of release_on_process_exit"]
fn child_holds_a_seat_and_exits() {
    let Ok(args) = std::env::var("SDK_SCENARIO_CHILD") else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&args).unwrap();
    let cfg = ClientConfig::new(
        v["url"].as_str().unwrap(),
        v["key"].as_str().unwrap(),
        "sdk",
    )
    .hardware_id("hw-child")
    .jwks_cache(v["cache"].as_str().unwrap());
    let lease = blocking::LicenseClient::new(cfg)
        .unwrap()
        .acquire()
        .unwrap();
    println!("child-session: {}", lease.session_id());
    // `lease` is still held here; the process ends with it.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_on_process_exit() {
    let bed = Testbed::start().await;
    let (key, lid) = bed.license(json!({"seats_total": 1})).await;
    let dir = tempfile::tempdir().unwrap();
    let args = json!({"url": bed.primary, "key": key, "cache": dir.path().join("jwks.json")});
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_holds_a_seat_and_exits",
            "--ignored",
            "--nocapture",
        ])
        .env("SDK_SCENARIO_CHILD", args.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sid = stdout
        .lines()
        .find_map(|l| l.strip_prefix("child-session: "))
        .unwrap_or_else(|| panic!("the child took no seat: {stdout}"));
    assert_eq!(
        bed.seats_used(&lid).await,
        0,
        "the seat went with the process"
    );
    assert_eq!(bed.session(sid).await["status"], "released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_verify() {
    let bed = Testbed::start().await;
    let (key, _) = bed
        .license(json!({"seats_total": 1, "entitlements": ["export"]}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-offline", &dir, false)
        .acquire()
        .await
        .unwrap();
    let token = lease.token();
    bed.post("/server/stop").await;
    // A fresh client, as after the application restarted, with no server to ask.
    let offline = client(&bed, &key, "hw-offline", &dir, false);
    let v = offline.verify_offline(&token).expect("verifies offline");
    assert_eq!(v.session_id(), lease.session_id().to_string());
    assert!(v.has_entitlement("export"));
    let mut sig: Vec<char> = token.rsplit('.').next().unwrap().chars().collect();
    let i = sig.len() / 2;
    sig[i] = if sig[i] == 'A' { 'B' } else { 'A' };
    let (head, _) = token.rsplit_once('.').unwrap();
    let tampered = format!("{head}.{}", sig.into_iter().collect::<String>());
    assert!(matches!(
        offline.verify_offline(&tampered),
        Err(Error::InvalidToken(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_second_url() {
    let bed = Testbed::start().await;
    let (key, lid) = bed
        .license(json!({"seats_total": 2, "heartbeat_ttl_seconds": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-failover", &dir, true)
        .acquire()
        .await
        .unwrap();
    let sid = lease.session_id();
    bed.post("/relays/primary/down").await;
    let before = bed.session(sid).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = bed.session(sid).await;
    assert_eq!(
        lease.state(),
        LeaseState::Active,
        "no grace: the second address answered"
    );
    assert_eq!(lease.session_id(), sid);
    assert!(instant(&after["last_heartbeat_at"]) > instant(&before["last_heartbeat_at"]));
    let other = client(&bed, &key, "hw-failover-2", &dir, true)
        .acquire()
        .await
        .expect("acquire through the second address");
    assert_eq!(other.state(), LeaseState::Active);
    assert_eq!(bed.seats_used(&lid).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_until_exp() {
    let bed = Testbed::start().await;
    let (key, _) = bed
        .license(json!({"seats_total": 1, "heartbeat_ttl_seconds": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lease = client(&bed, &key, "hw-grace", &dir, true)
        .acquire()
        .await
        .unwrap();
    bed.post("/relays/primary/down").await;
    bed.post("/relays/secondary/down").await;
    let state = wait_for(&lease, 3, |s| matches!(s, LeaseState::Grace { .. })).await;
    let LeaseState::Grace { until } = state else {
        unreachable!()
    };
    let exp = client(&bed, &key, "hw-grace", &dir, true)
        .offline_verifier()
        .unwrap()
        .verify(&lease.token())
        .expect("the token still verifies")
        .expires_at();
    assert_eq!(until, exp, "grace lasts until the token's exp");
    assert!(lease.is_usable(), "usable in grace");
    let state = wait_for(&lease, 6, |s| matches!(s, LeaseState::Lost(_))).await;
    let lost_at = now_secs();
    assert_eq!(state, LeaseState::Lost(LostReason::Expired));
    assert!(!lease.is_usable());
    assert!(
        lost_at >= exp as f64 - 1.0,
        "lost {:.2} s before exp",
        exp as f64 - lost_at
    );
    assert!(
        lost_at <= exp as f64 + 1.5,
        "grace outlasted exp by {:.2} s",
        lost_at - exp as f64
    );
}
