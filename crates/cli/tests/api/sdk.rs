//! The client SDK against a real server: a lease that survives restarts, recovers from
//! server-side expiry, releases on drop; offline verification with the server stopped.

use std::time::Duration;

use coditect_license_client::{blocking, ClientConfig, Error, LeaseState, LostReason};
use serde_json::json;
use tokio::sync::watch;

use crate::support::clients::sdk_client;
use crate::support::helpers::*;

/// Waits until the lease's state satisfies `f`, failing after `secs` seconds.
async fn wait_state(
    rx: &mut watch::Receiver<LeaseState>,
    secs: u64,
    f: impl Fn(&LeaseState) -> bool,
) {
    let reached = tokio::time::timeout(Duration::from_secs(secs), rx.wait_for(|s| f(s)))
        .await
        .map(|r| r.is_ok());
    assert!(
        reached == Ok(true),
        "state not reached; last: {:?}",
        *rx.borrow()
    );
}

/// Pretends the server lost track of the session (e.g. the client's machine slept past
/// the TTL while its monotonic clock stood still): its expiry is moved into the past.
async fn expire_in_db(app: &TestApp, session_id: uuid::Uuid) {
    use sqlx::Connection;
    if app.db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1")
            .bind(session_id)
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        let past = chrono::Utc::now().timestamp_micros() - 1_000_000;
        sqlx::query("UPDATE sessions SET expires_at = ? WHERE id = ?")
            .bind(past)
            .bind(session_id)
            .execute(&mut c)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_survives_a_server_restart_with_the_same_session() {
    let mut app = spawn_app().await;
    // Restart on the same port, so the client finds the server again.
    app.config.listen = app.server.as_ref().unwrap().addr.to_string();
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "heartbeat_ttl_seconds": 9}))
        .await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = sdk_client(&app, key, "hw-restart", dir.path())
        .acquire()
        .await
        .unwrap();
    let session = lease.session_id();
    let mut states = lease.subscribe();

    app.stop().await;
    wait_state(&mut states, 10, |s| matches!(s, LeaseState::Grace { .. })).await;
    app.restart().await;
    wait_state(&mut states, 15, |s| *s == LeaseState::Active).await;

    assert_eq!(lease.session_id(), session, "the same session is kept");
    let seat = lease
        .heartbeat_now()
        .await
        .expect("heartbeat after restart");
    assert_eq!(seat.session_id, session);
    assert_eq!(app.seats_used(&tid, lid).await, 1);
    lease.release().await.unwrap();
    assert_eq!(app.seats_used(&tid, lid).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_seat_expired_server_side_the_lease_reacquires_by_itself() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "heartbeat_ttl_seconds": 60}))
        .await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = sdk_client(&app, key, "hw-expire", dir.path())
        .acquire()
        .await
        .unwrap();
    let old = lease.session_id();
    expire_in_db(&app, old).await;
    app.heartbeat(key, &old.to_string())
        .await
        .expect_error(410, "session_expired");

    lease.poke();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while lease.session_id() == old {
        assert!(tokio::time::Instant::now() < deadline, "no re-acquire");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(lease.state(), LeaseState::Active);
    assert_eq!(app.seats_used(&tid, lid).await, 1, "one seat, not two");
    let sessions = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=active"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(sessions["items"][0]["hardware_id"], "hw-expire");
    assert_eq!(sessions["items"][0]["id"], lease.session_id().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_lease_releases_its_seat() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 2})).await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = sdk_client(&app, key, "hw-drop", dir.path())
        .acquire()
        .await
        .unwrap();
    assert_eq!(app.seats_used(&tid, lid).await, 1);
    drop(lease);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.seats_used(&tid, lid).await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "seat not released on drop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_release_loses_the_lease_instead_of_retaking_the_seat() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = sdk_client(&app, key, "hw-kicked", dir.path())
        .acquire()
        .await
        .unwrap();
    let mut states = lease.subscribe();
    app.admin(
        "DELETE",
        &format!("/api/v1/tenants/{tid}/sessions/{}", lease.session_id()),
        None,
    )
    .await
    .expect(200);
    lease.poke();
    wait_state(&mut states, 5, |s| {
        *s == LeaseState::Lost(LostReason::Forced)
    })
    .await;
    assert_eq!(app.seats_used(&tid, lid).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_verification_works_with_the_server_stopped_and_refuses_bad_tokens() {
    let mut app = spawn_app().await;
    let (_, lic) = app
        .license_with(
            json!({"seats_total": 2, "heartbeat_ttl_seconds": 2, "entitlements": ["export"]}),
        )
        .await;
    let key = lic["license_key"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = sdk_client(&app, key, "hw-offline", dir.path());
    let lease = client.acquire().await.unwrap();
    let token = lease.token();
    // A short-lived token that will have expired by the time it is checked.
    let short = sdk_client(&app, key, "hw-short", dir.path())
        .acquire_seat(Duration::ZERO)
        .await
        .unwrap();
    drop(lease);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.stop().await;

    // A fresh client (as after an application restart), server unreachable.
    let offline = sdk_client(&app, key, "hw-offline", dir.path());
    let v = offline.verify_offline(&token).expect("verifies offline");
    assert!(v.has_entitlement("export"));
    assert!(!v.has_entitlement("import"));
    assert_eq!(v.hardware_id(), "hw-offline");

    // One byte of the payload changed (in the middle: the last character may only carry
    // padding bits).
    let mut parts: Vec<Vec<u8>> = token.split('.').map(|p| p.as_bytes().to_vec()).collect();
    let i = parts[1].len() / 2;
    parts[1][i] = if parts[1][i] == b'A' { b'B' } else { b'A' };
    let tampered = parts
        .iter()
        .map(|p| String::from_utf8(p.clone()).unwrap())
        .collect::<Vec<_>>()
        .join(".");
    assert!(matches!(
        offline.verify_offline(&tampered),
        Err(Error::InvalidToken(_))
    ));

    assert!(
        matches!(
            offline.verify_offline(&short.token),
            Err(Error::InvalidToken(_))
        ),
        "another installation's token is refused"
    );
    let other = sdk_client(&app, key, "hw-short", dir.path());
    let wait = (short.expires_in_seconds + 1) as u64;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert!(matches!(
        other.verify_offline(&short.token),
        Err(Error::TokenExpired)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_acquires_verifies_and_releases() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "entitlements": ["pro"]}))
        .await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap().to_owned(),
        lic["id"].as_str().unwrap(),
    );
    let (base, dir) = (app.base.clone(), tempfile::tempdir().unwrap());
    let path = dir.path().join("jwks.json");
    let released = tokio::task::spawn_blocking(move || {
        let cfg = ClientConfig::new(base, key, "blocking-test")
            .hardware_id("hw-blocking")
            .jwks_cache(path);
        let client = blocking::LicenseClient::new(cfg).unwrap();
        let lease = client.acquire().unwrap();
        assert_eq!(lease.state(), LeaseState::Active);
        let v = client.verify_offline(&lease.token()).unwrap();
        assert!(v.has_entitlement("pro"));
        lease.release().unwrap()
    })
    .await
    .unwrap();
    assert!(released.released);
    assert_eq!(app.seats_used(&tid, lid).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_license_loses_the_lease_and_gives_the_seat_back() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = sdk_client(&app, key, "hw-suspended", dir.path())
        .acquire()
        .await
        .unwrap();
    let mut states = lease.subscribe();
    app.admin(
        "PATCH",
        &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
        Some(json!({"is_active": false})),
    )
    .await
    .expect(200);
    lease.poke();
    wait_state(&mut states, 5, |s| {
        *s == LeaseState::Lost(LostReason::Refused("license_suspended".into()))
    })
    .await;
    assert_eq!(app.seats_used(&tid, lid).await, 0);
}
