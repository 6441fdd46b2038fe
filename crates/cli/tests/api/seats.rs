//! The seat invariant under concurrency, expiry, release and restart.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::support::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_racing_acquires_on_seven_seats_grant_exactly_seven() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 7})).await;
    let key = lic["license_key"].as_str().unwrap();
    let replies = join_all((0..200).map(|i| {
        let hw = format!("hw-{i}");
        let app = &app;
        async move { app.acquire(key, &hw).await }
    }))
    .await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 409).collect();
    assert_eq!(granted, 7, "exactly seven seats may be granted");
    assert_eq!(refused.len(), 193, "every other acquire is a 409");
    for r in refused {
        r.expect_error(409, "no_seats_available");
        assert_eq!(r.body["error"]["details"]["seats_total"], 7);
    }
    assert_eq!(app.seats_used(&tid, lic["id"].as_str().unwrap()).await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_racing_acquires_for_one_hardware_take_one_seat() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 3})).await;
    let key = lic["license_key"].as_str().unwrap();
    let replies = join_all((0..100).map(|_| app.acquire(key, "same-machine"))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let resumed = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(created, 1, "exactly one acquire creates the session");
    assert_eq!(resumed, 99, "all others resume it; none is refused");
    let ids: HashSet<_> = replies
        .iter()
        .map(|r| r.body["session_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every acquire gets the same session id");
    assert_eq!(app.seats_used(&tid, lic["id"].as_str().unwrap()).await, 1);
}

#[tokio::test]
async fn expired_seat_is_reusable_at_once_and_the_reaper_records_it() {
    let app = spawn_app_with(|c| c.reaper_interval = Duration::from_secs(3600)).await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "heartbeat_ttl_seconds": 2}))
        .await;
    let key = lic["license_key"].as_str().unwrap();
    let first = app.acquire(key, "a").await.expect(201);
    assert_eq!(first["heartbeat_interval_seconds"], 1);
    app.acquire(key, "b")
        .await
        .expect_error(409, "no_seats_available");
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // The reaper has not run (interval is an hour): the seat must still be free.
    let second = app.acquire(key, "b").await.expect(201);
    let sid = first["session_id"].as_str().unwrap();
    app.heartbeat(key, sid)
        .await
        .expect_error(410, "session_expired");
    let lid = lic["id"].as_str().unwrap();
    let sessions = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=expired"),
            None,
        )
        .await
        .expect(200);
    let s = &sessions["items"][0];
    assert_eq!(s["id"], sid);
    assert_eq!(s["status"], "expired");
    assert_eq!(s["end_reason"], "expired");
    assert_eq!(s["ended_at"], s["expires_at"]);
    let audit = app
        .admin("GET", &format!("/api/v1/tenants/{tid}/audit"), None)
        .await
        .expect(200);
    let expired: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "session.expire")
        .collect();
    assert_eq!(expired.len(), 1, "the expiry is recorded once");
    assert_eq!(expired[0]["resource_id"], sid);
    assert_eq!(expired[0]["actor"]["type"], "system");
    assert_eq!(second["seats_used"], 1);
}

#[tokio::test]
async fn background_reaper_marks_expired_sessions() {
    let app = spawn_app().await; // reaper every 300 ms
    let (tid, lic) = app
        .license_with(json!({"seats_total": 2, "heartbeat_ttl_seconds": 1}))
        .await;
    let key = lic["license_key"].as_str().unwrap();
    let s = app.acquire(key, "a").await.expect(201);
    let sid = s["session_id"].as_str().unwrap();
    let mut found = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let audit = app
            .admin("GET", &format!("/api/v1/tenants/{tid}/audit"), None)
            .await
            .expect(200);
        if audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "session.expire" && e["resource_id"] == sid)
        {
            found = true;
            break;
        }
    }
    assert!(found, "the reaper recorded the expiry in the audit log");
    let lid = lic["id"].as_str().unwrap();
    let page = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(page["items"][0]["status"], "expired");
}

#[tokio::test]
async fn release_frees_the_seat_and_is_idempotent() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap();
    let s = app.acquire(key, "a").await.expect(201);
    let sid = s["session_id"].as_str().unwrap();
    let r = app.release(key, sid).await.expect(200);
    assert_eq!(r["released"], true);
    assert_eq!(r["status"], "released");
    assert!(r["server_time"].is_string());
    assert_eq!(app.seats_used(&tid, lic["id"].as_str().unwrap()).await, 0);
    let again = app.release(key, sid).await.expect(200);
    assert_eq!(again["released"], false);
    assert_eq!(again["status"], "released");
    app.heartbeat(key, sid)
        .await
        .expect_error(410, "session_released");
    app.acquire(key, "b").await.expect(201);
}

#[tokio::test]
async fn lowering_seats_keeps_live_sessions_but_refuses_new_ones() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 2})).await;
    let key = lic["license_key"].as_str().unwrap();
    let lid = lic["id"].as_str().unwrap();
    let a = app.acquire(key, "a").await.expect(201);
    app.acquire(key, "b").await.expect(201);
    app.admin(
        "PATCH",
        &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
        Some(json!({"seats_total": 1})),
    )
    .await
    .expect(200);
    assert_eq!(
        app.seats_used(&tid, lid).await,
        2,
        "no live session is ended"
    );
    app.heartbeat(key, a["session_id"].as_str().unwrap())
        .await
        .expect(200);
    let again = app.acquire(key, "a").await.expect(200);
    assert_eq!(again["session_id"], a["session_id"]);
    app.acquire(key, "c")
        .await
        .expect_error(409, "no_seats_available");
}

#[tokio::test]
async fn a_live_session_survives_a_restart_with_the_same_signing_key() {
    let mut app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap().to_owned();
    let s = app.acquire(&key, "a").await.expect(201);
    let jwks_before = app
        .call("GET", "/.well-known/jwks.json", None, None)
        .await
        .expect(200);
    app.restart().await;
    let hb = app
        .heartbeat(&key, s["session_id"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(hb["session_id"], s["session_id"]);
    let jwks_after = app
        .call("GET", "/.well-known/jwks.json", None, None)
        .await
        .expect(200);
    assert_eq!(jwks_before["keys"][0]["kid"], jwks_after["keys"][0]["kid"]);
    app.acquire(&key, "b")
        .await
        .expect_error(409, "no_seats_available");
}

#[tokio::test]
async fn suspended_license_refuses_acquire_and_heartbeat_but_not_release() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 2})).await;
    let key = lic["license_key"].as_str().unwrap();
    let lid = lic["id"].as_str().unwrap();
    let s = app.acquire(key, "a").await.expect(201);
    let sid = s["session_id"].as_str().unwrap();
    app.admin(
        "PATCH",
        &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
        Some(json!({"is_active": false})),
    )
    .await
    .expect(200);
    app.acquire(key, "a")
        .await
        .expect_error(403, "license_suspended");
    app.heartbeat(key, sid)
        .await
        .expect_error(403, "license_suspended");
    assert_eq!(
        app.seats_used(&tid, lid).await,
        1,
        "the session keeps its seat"
    );
    app.release(key, sid).await.expect(200);
    assert_eq!(app.seats_used(&tid, lid).await, 0);
}

#[tokio::test]
async fn session_expiry_never_passes_license_expiry() {
    let app = spawn_app().await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
    let (_, lic) = app
        .license_with(json!({"seats_total": 1, "expires_at": soon}))
        .await;
    let s = app
        .acquire(lic["license_key"].as_str().unwrap(), "a")
        .await
        .expect(201);
    let exp = chrono::DateTime::parse_from_rfc3339(s["expires_at"].as_str().unwrap()).unwrap();
    let lic_exp =
        chrono::DateTime::parse_from_rfc3339(s["license_expires_at"].as_str().unwrap()).unwrap();
    assert!(exp <= lic_exp);
    assert!(s["expires_in_seconds"].as_i64().unwrap() <= 30);
}
