//! The client endpoints (acquire, heartbeat, release, validate): every success shape and
//! every error code the contract lists for them.

use serde_json::json;

use crate::support::fixtures::*;
use crate::support::helpers::*;

#[tokio::test]
async fn acquire_answers_the_full_seat_shape_and_resumes_on_the_same_hardware() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 3, "heartbeat_ttl_seconds": 10,
            "entitlements": ["pro", "export"], "expires_at": time_from_now(3600)}))
        .await;
    let (key, lid) = key_and_id(&lic);
    let r = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": key, "hardware_id": "hw-1", "user_email": "ana@example.com",
                   "client": {"name": "app", "version": "1.2.3"}, "unknown_field": [1, 2]}),
        )
        .await;
    let first = r.expect(201);
    assert_seat_shape(&first);
    assert_eq!(first["license_id"], lid.as_str());
    assert_eq!(first["tenant_id"], tid.as_str());
    assert_eq!(first["seats_total"], 3);
    assert_eq!(first["seats_used"], 1);
    assert_eq!(first["entitlements"], json!(["pro", "export"]));
    assert_eq!(first["heartbeat_interval_seconds"], 3, "max(1, 10 / 3)");
    let left = first["expires_in_seconds"].as_i64().unwrap();
    assert!((9..=10).contains(&left), "expires_in_seconds {left}");
    assert_time(&first["license_expires_at"], "license_expires_at");

    // Same hardware: the same session, 200, no second seat, email and client replaced.
    let again = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": key, "hardware_id": "hw-1", "user_email": null,
                   "client": {"name": "app", "version": "2.0.0"}}),
        )
        .await
        .expect(200);
    assert_seat_shape(&again);
    assert_eq!(again["session_id"], first["session_id"]);
    assert_eq!(again["seats_used"], 1);
    let sessions = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions"),
            None,
        )
        .await
        .expect(200);
    let items = sessions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_session_shape(&items[0]);
    assert_eq!(items[0]["user_email"], json!(null));
    assert_eq!(
        items[0]["client"],
        json!({"name": "app", "version": "2.0.0"})
    );
    assert_eq!(items[0]["hardware_id"], "hw-1");

    // Hardware ids compare byte for byte: another case is another seat.
    let other = app.take_seat(&key, "HW-1").await;
    assert_ne!(other["session_id"], first["session_id"]);
    assert_eq!(other["seats_used"], 2);
}

#[tokio::test]
async fn acquire_defaults_and_license_without_expiry() {
    let app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, _) = key_and_id(&lic);
    let s = app.take_seat(&key, "only").await;
    assert_eq!(s["heartbeat_interval_seconds"], 120, "360 / 3");
    assert_eq!(s["license_expires_at"], json!(null));
    assert_eq!(s["entitlements"], json!([]));
    // The key is accepted in lower case too (people type it).
    let resumed = app.acquire(&key.to_lowercase(), "only").await.expect(200);
    assert_eq!(resumed["session_id"], s["session_id"]);
}

#[tokio::test]
async fn acquire_errors() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = key_and_id(&lic);
    app.acquire("NO-SUCH-KEY", "hw")
        .await
        .expect_error(404, "license_not_found");

    app.take_seat(&key, "a").await;
    let full = app.acquire(&key, "b").await;
    full.expect_error(409, "no_seats_available");
    assert_eq!(full.body["error"]["details"]["seats_total"], 1);
    assert_eq!(full.body["error"]["details"]["seats_used"], 1);

    let missing = app
        .client("/api/v1/licenses/acquire", json!({"license_key": key}))
        .await;
    missing.expect_error(422, "validation_error");
    assert!(missing.body["error"]["details"]["fields"]["hardware_id"].is_string());
    let bad = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": 12345, "hardware_id": "x", "user_email": "not-an-email",
                   "client": {"name": 5}}),
        )
        .await;
    bad.expect_error(422, "validation_error");
    let fields = &bad.body["error"]["details"]["fields"];
    for f in ["license_key", "user_email", "client"] {
        assert!(fields[f].is_string(), "{f} not reported: {fields}");
    }

    app.patch_license(&tid, &lid, json!({"is_active": false}))
        .await;
    app.acquire(&key, "a")
        .await
        .expect_error(403, "license_suspended");
    app.patch_license(
        &tid,
        &lid,
        json!({"is_active": true, "expires_at": time_from_now(-60)}),
    )
    .await;
    app.acquire(&key, "a")
        .await
        .expect_error(403, "license_expired");
}

#[tokio::test]
async fn heartbeat_extends_the_session_with_a_fresh_token() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 2, "heartbeat_ttl_seconds": 30}))
        .await;
    let (key, lid) = key_and_id(&lic);
    let s = app.take_seat(&key, "hw").await;
    let sid = s["session_id"].as_str().unwrap();
    let hb = app.heartbeat(&key, sid).await.expect(200);
    assert_seat_shape(&hb);
    assert_eq!(hb["session_id"], sid);
    assert!(assert_time(&hb["expires_at"], "hb") > assert_time(&s["expires_at"], "acq"));
    assert_ne!(hb["token"], s["token"], "a fresh token");
    assert_eq!(hb["seats_used"], 1);

    // The license's current TTL applies from the next heartbeat.
    app.patch_license(&tid, &lid, json!({"heartbeat_ttl_seconds": 300}))
        .await;
    let hb = app.heartbeat(&key, sid).await.expect(200);
    let left = hb["expires_in_seconds"].as_i64().unwrap();
    assert!((299..=300).contains(&left), "expires_in_seconds {left}");
    assert_eq!(hb["heartbeat_interval_seconds"], 100);
    // Capped at the license's expiry.
    app.patch_license(&tid, &lid, json!({"expires_at": time_from_now(20)}))
        .await;
    let hb = app.heartbeat(&key, sid).await.expect(200);
    assert!(hb["expires_in_seconds"].as_i64().unwrap() <= 20);
    assert!(assert_time(&hb["expires_at"], "exp") <= assert_time(&hb["license_expires_at"], "l"));
}

#[tokio::test]
async fn heartbeat_errors() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 3})).await;
    let (key, lid) = key_and_id(&lic);
    let (_, other) = app.license_with(json!({"seats_total": 1})).await;
    let (other_key, _) = key_and_id(&other);
    let s = app.take_seat(&key, "hw").await;
    let sid = s["session_id"].as_str().unwrap();

    app.heartbeat(&key, &random_uuid())
        .await
        .expect_error(404, "session_not_found");
    app.heartbeat(&other_key, sid)
        .await
        .expect_error(404, "session_not_found");
    app.heartbeat("NO-SUCH-KEY", sid)
        .await
        .expect_error(404, "session_not_found");
    let r = app.heartbeat(&key, "not-a-uuid").await;
    r.expect_error(422, "validation_error");
    assert!(r.body["error"]["details"]["fields"]["session_id"].is_string());

    app.patch_license(&tid, &lid, json!({"is_active": false}))
        .await;
    app.heartbeat(&key, sid)
        .await
        .expect_error(403, "license_suspended");
    // The session keeps its seat while the license is suspended.
    assert_eq!(app.seats_used(&tid, &lid).await, 1);
    assert_eq!(app.validate(&key).await["license"]["seats_used"], 1);
    app.patch_license(
        &tid,
        &lid,
        json!({"is_active": true, "expires_at": time_from_now(-5)}),
    )
    .await;
    app.heartbeat(&key, sid)
        .await
        .expect_error(403, "license_expired");
    app.patch_license(&tid, &lid, json!({"expires_at": null}))
        .await;

    app.release(&key, sid).await.expect(200);
    let gone = app.heartbeat(&key, sid).await;
    gone.expect_error(410, "session_released");
    assert_eq!(gone.body["error"]["details"]["reason"], "released");

    let s2 = app.take_seat(&key, "hw-2").await;
    let sid2 = s2["session_id"].as_str().unwrap();
    app.admin(
        "DELETE",
        &format!("/api/v1/tenants/{tid}/sessions/{sid2}"),
        None,
    )
    .await
    .expect(200);
    let forced = app.heartbeat(&key, sid2).await;
    forced.expect_error(410, "session_released");
    assert_eq!(forced.body["error"]["details"]["reason"], "forced");
}

#[tokio::test]
async fn release_answers_and_errors() {
    let app = spawn_app_with(|c| c.reaper_interval = std::time::Duration::from_secs(3600)).await;
    let (_, short) = app
        .license_with(json!({"seats_total": 1, "heartbeat_ttl_seconds": 1}))
        .await;
    let (short_key, _) = key_and_id(&short);
    let b = app.take_seat(&short_key, "b").await;
    let b_received = std::time::Instant::now();
    let bid = b["session_id"].as_str().unwrap();
    let (tid, lic) = app.license_with(json!({"seats_total": 2})).await;
    let (key, lid) = key_and_id(&lic);
    let a = app.take_seat(&key, "a").await;
    let aid = a["session_id"].as_str().unwrap();

    app.release(&short_key, aid)
        .await
        .expect_error(404, "session_not_found");
    app.release(&key, &random_uuid())
        .await
        .expect_error(404, "session_not_found");
    app.release(&key, "42")
        .await
        .expect_error(422, "validation_error");

    // Works whatever the license's state.
    app.patch_license(
        &tid,
        &lid,
        json!({"is_active": false, "expires_at": time_from_now(-1)}),
    )
    .await;
    let r = app.release(&key, aid).await.expect(200);
    assert_keys(&r, &["session_id", "released", "status", "server_time"]);
    assert_eq!(r["session_id"], aid);
    assert_eq!(r["released"], true);
    assert_eq!(r["status"], "released");
    assert_time(&r["server_time"], "server_time");
    let again = app.release(&key, aid).await.expect(200);
    assert_eq!(again["released"], false);
    assert_eq!(again["status"], "released");
    assert_eq!(
        app.seats_used(&tid, &lid).await,
        0,
        "the seat is free at once"
    );

    // An expired (not yet reaped) session: not an error, reported expired.
    sleep_until_expired(&b, b_received).await;
    let exp = app.release(&short_key, bid).await.expect(200);
    assert_eq!(exp["released"], false);
    assert_eq!(exp["status"], "expired");
    // A session past its expiry is never resumed: the same hardware gets a new one.
    let fresh = app.take_seat(&short_key, "b").await;
    assert_ne!(fresh["session_id"], bid);
    app.heartbeat(&short_key, bid)
        .await
        .expect_error(410, "session_expired");
}

#[tokio::test]
async fn validate_codes() {
    let app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 4, "entitlements": ["a"]}))
        .await;
    let (key, lid) = key_and_id(&lic);
    app.take_seat(&key, "x").await;

    let v = app.validate(&key).await;
    assert_keys(&v, &["valid", "code", "license", "server_time"]);
    assert_eq!(v["valid"], true);
    assert_eq!(v["code"], "VALID");
    assert_keys(
        &v["license"],
        &[
            "id",
            "seats_total",
            "seats_used",
            "expires_at",
            "entitlements",
        ],
    );
    assert_eq!(v["license"]["id"], lid.as_str());
    assert_eq!(v["license"]["seats_total"], 4);
    assert_eq!(v["license"]["seats_used"], 1);
    assert_eq!(v["license"]["expires_at"], json!(null));
    assert_eq!(v["license"]["entitlements"], json!(["a"]));
    assert_time(&v["server_time"], "server_time");

    let nf = app.validate("NOPE-NOPE").await;
    assert_keys(&nf, &["valid", "code", "server_time"]);
    assert_eq!(nf["valid"], false);
    assert_eq!(nf["code"], "NOT_FOUND");

    app.patch_license(&tid, &lid, json!({"expires_at": time_from_now(-10)}))
        .await;
    let e = app.validate(&key).await;
    assert_eq!(
        (e["valid"].clone(), e["code"].clone()),
        (json!(false), json!("EXPIRED"))
    );
    assert_time(&e["license"]["expires_at"], "expires_at");

    app.patch_license(&tid, &lid, json!({"is_active": false}))
        .await;
    let s = app.validate(&key).await;
    assert_eq!(s["code"], "SUSPENDED", "SUSPENDED wins over EXPIRED");
    assert_eq!(s["valid"], false);

    app.patch_license(&tid, &lid, json!({"expires_at": null}))
        .await;
    assert_eq!(app.validate(&key).await["code"], "SUSPENDED");

    // A full license is still VALID: validate speaks of existence, suspension, expiry.
    app.patch_license(&tid, &lid, json!({"is_active": true, "seats_total": 1}))
        .await;
    assert_eq!(app.validate(&key).await["code"], "VALID");

    app.client("/api/v1/licenses/validate", json!({}))
        .await
        .expect_error(422, "validation_error");
    app.client("/api/v1/licenses/validate", json!({"license_key": ""}))
        .await
        .expect_error(422, "validation_error");
}

#[tokio::test]
async fn jwks_publishes_signing_keys() {
    let app = spawn_app().await;
    let r = app.call("GET", "/.well-known/jwks.json", None, None).await;
    let doc = r.expect(200);
    let keys = doc["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for k in keys {
        assert!(k["kid"].is_string() && k["alg"].is_string(), "{k}");
        assert_eq!(k["use"], "sig");
        assert!(k["kty"].is_string());
        assert!(k.get("d").is_none(), "no private part: {k}");
    }
    assert_eq!(keys[0]["alg"], "ES256");
}
