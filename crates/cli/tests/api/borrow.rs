//! Borrowing a seat for offline use: no heartbeats until the borrow's end, early return
//! by release, and clear refusals.

use std::time::Duration;

use serde_json::json;

use crate::support::helpers::*;

async fn borrow(app: &TestApp, key: &str, hw: &str, hours: serde_json::Value) -> Reply {
    app.client(
        "/api/v1/licenses/borrow",
        json!({"license_key": key, "hardware_id": hw, "hours": hours}),
    )
    .await
}

#[tokio::test]
async fn a_borrowed_seat_is_held_without_heartbeats_until_released() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "heartbeat_ttl_seconds": 1, "max_borrow_hours": 48}))
        .await;
    assert_eq!(lic["max_borrow_hours"], 48);
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let b = borrow(&app, key, "laptop", json!(24)).await.expect(201);
    assert_eq!(b["borrowed"], true);
    let expires = chrono::DateTime::parse_from_rfc3339(b["expires_at"].as_str().unwrap()).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(b["server_time"].as_str().unwrap()).unwrap();
    assert!(
        (expires - now - chrono::Duration::hours(24))
            .num_seconds()
            .abs()
            <= 1
    );
    let jwks = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = coditect_license_client::Verifier::from_jwks_json(&jwks)
        .unwrap()
        .for_license_key(key)
        .verify(b["token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        v.expires_at(),
        expires.timestamp(),
        "the token's exp is the borrow's end"
    );

    // Well past the 1-second TTL, with no heartbeat: still held.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.seats_used(&tid, lid).await, 1);
    app.acquire(key, "desktop")
        .await
        .expect_error(409, "no_seats_available");
    let sid = b["session_id"].as_str().unwrap();
    let sessions = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=active"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(sessions["items"][0]["borrowed"], true);

    // A heartbeat does not shorten the borrow.
    let hb = app.heartbeat(key, sid).await.expect(200);
    assert_eq!(hb["expires_at"], b["expires_at"]);

    // Early return.
    let r = app.release(key, sid).await.expect(200);
    assert_eq!(r["released"], true);
    assert_eq!(app.seats_used(&tid, lid).await, 0);
    app.acquire(key, "desktop").await.expect(201);
}

#[tokio::test]
async fn borrowing_is_refused_when_disabled_or_too_long() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 3})).await;
    assert_eq!(lic["max_borrow_hours"], 0, "disabled by default");
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let r = borrow(&app, key, "laptop", json!(1)).await;
    r.expect_error(403, "borrowing_disabled");

    let path = format!("/api/v1/tenants/{tid}/licenses/{lid}");
    let l = app
        .admin("PATCH", &path, Some(json!({"max_borrow_hours": 8})))
        .await
        .expect(200);
    assert_eq!(l["max_borrow_hours"], 8);
    let r = borrow(&app, key, "laptop", json!(9)).await;
    r.expect_error(422, "validation_error");
    assert!(r.body["error"]["details"]["fields"]["hours"].is_string());
    assert_eq!(r.body["error"]["details"]["max_borrow_hours"], 8);
    for bad in [json!(0), json!("8"), json!(1.5), json!(null), json!(100000)] {
        borrow(&app, key, "laptop", bad)
            .await
            .expect_error(422, "validation_error");
    }
    app.admin("PATCH", &path, Some(json!({"max_borrow_hours": -1})))
        .await
        .expect_error(422, "validation_error");
    app.admin("PATCH", &path, Some(json!({"max_borrow_hours": 2161})))
        .await
        .expect_error(422, "validation_error");
    borrow(&app, "no-such-key", "laptop", json!(1))
        .await
        .expect_error(404, "license_not_found");
    assert_eq!(app.seats_used(&tid, lid).await, 0, "refusals take no seat");
    borrow(&app, key, "laptop", json!(8)).await.expect(201);
    // The same hardware borrowing again gets its session back, not a second seat.
    borrow(&app, key, "laptop", json!(2)).await.expect(200);
    assert_eq!(app.seats_used(&tid, lid).await, 1);
}

#[tokio::test]
async fn a_borrow_never_outlives_its_license() {
    let app = spawn_app().await;
    let end = chrono::Utc::now() + chrono::Duration::minutes(30);
    let (_, lic) = app
        .license_with(
            json!({"seats_total": 1, "max_borrow_hours": 24, "expires_at": end.to_rfc3339()}),
        )
        .await;
    let key = lic["license_key"].as_str().unwrap();
    let b = borrow(&app, key, "laptop", json!(24)).await.expect(201);
    let expires = chrono::DateTime::parse_from_rfc3339(b["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires.timestamp() <= end.timestamp());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_borrows_and_the_token_verifies_offline_until_the_end() {
    let mut app = spawn_app().await;
    let (_, lic) = app
        .license_with(
            json!({"seats_total": 1, "max_borrow_hours": 72, "entitlements": ["offline"]}),
        )
        .await;
    let key = lic["license_key"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = crate::support::clients::sdk_client(&app, key, "hw-borrow", dir.path());
    let seat = client.borrow(72).await.unwrap();
    assert!(seat.borrowed);
    app.stop().await;
    let v = client.verify_offline(&seat.token).unwrap();
    assert!(v.has_entitlement("offline"));
    assert_eq!(v.expires_at(), seat.expires_at.timestamp());
}
