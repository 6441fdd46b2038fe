//! The error shape and headers on every kind of answer, and the contract's order of
//! precedence, each checked with a request that triggers two errors at once.

use serde_json::json;

use crate::support::fixtures::*;
use crate::support::helpers::*;

const ACQUIRE: &str = "/api/v1/licenses/acquire";
const HEARTBEAT: &str = "/api/v1/licenses/heartbeat";

fn big_json() -> String {
    format!("{{\"license_key\": \"{}\"}}", "a".repeat(100 * 1024))
}

#[tokio::test]
async fn request_ids_and_api_version_on_every_answer() {
    let app = spawn_app().await;
    // Success, client error, route error: all carry both headers (checked by expect*).
    app.call("GET", "/health/", None, None).await.expect(200);
    app.call("GET", "/nowhere", None, None)
        .await
        .expect_error(404, "not_found");
    app.call("GET", "/api/v1/tenants", None, None)
        .await
        .expect_error(401, "unauthorized");

    let echo = |rid: &str| {
        let req = app
            .http
            .get(app.url("/api/v1/tenants"))
            .header("x-request-id", rid);
        app.send(req)
    };
    let long_ok = "a".repeat(128);
    for rid in ["abc", "A-b_c.d:e-09", long_ok.as_str()] {
        let r = echo(rid).await;
        r.expect_error(401, "unauthorized");
        assert_eq!(r.header("x-request-id"), Some(rid), "echoed");
        assert_eq!(r.body["error"]["request_id"], rid);
    }
    let too_long = "a".repeat(129);
    for rid in [too_long.as_str(), "has space", "semi;colon", "slash/x", "é"] {
        let req = app
            .http
            .get(app.url("/health/"))
            .header("x-request-id", rid.as_bytes());
        let r = app.send(req).await;
        r.expect(200);
        // (expect checked the replacement is well formed)
    }
    let r = app
        .send(
            app.http
                .get(app.url("/nowhere"))
                .header("x-request-id", "bad id!"),
        )
        .await;
    r.expect_error(404, "not_found");
    assert_ne!(r.header("x-request-id"), Some("bad id!"));
    // Two requests without an id get two different ids.
    let a = app.call("GET", "/health/", None, None).await;
    let b = app.call("GET", "/health/", None, None).await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods() {
    let app = spawn_app().await;
    // `/` itself redirects to the dashboard (see tests/api/dashboard.rs).
    for path in [
        "/api",
        "/api/v1",
        "/api/v2/licenses/acquire",
        "/health",
        "/api/v1/licenses",
    ] {
        app.call("GET", path, None, None)
            .await
            .expect_error(404, "not_found");
    }
    app.call(
        "POST",
        "/api/v1/nothing",
        Some(ADMIN_TOKEN),
        Some(json!({})),
    )
    .await
    .expect_error(404, "not_found");
    let cases = [
        ("GET", ACQUIRE),
        ("DELETE", HEARTBEAT),
        ("PUT", "/api/v1/licenses/release"),
        ("GET", "/api/v1/licenses/validate"),
        ("DELETE", "/api/v1/tenants"),
        ("POST", "/health/"),
        ("POST", "/readyz"),
        ("POST", "/metrics"),
        ("POST", "/.well-known/jwks.json"),
        (
            "PUT",
            "/api/v1/tenants/00000000-0000-0000-0000-000000000000/licenses",
        ),
    ];
    for (m, path) in cases {
        // 405 wins over 401 (no token) and over 413.
        let r = app
            .raw(m, path, None, Some("application/json"), big_json())
            .await;
        r.expect_error(405, "method_not_allowed");
        app.call(m, path, None, None)
            .await
            .expect_error(405, "method_not_allowed");
    }
    // A 405 says which methods the route has (RFC 9110).
    let r = app
        .call("DELETE", "/api/v1/tenants", Some(ADMIN_TOKEN), None)
        .await;
    r.expect_error(405, "method_not_allowed");
    let allow = r
        .header("allow")
        .expect("an Allow header")
        .to_ascii_uppercase();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    // Route 404 wins over 413.
    app.raw(
        "POST",
        "/api/v1/nothing",
        None,
        Some("application/json"),
        big_json(),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn body_media_type_and_json_errors() {
    let app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 5})).await;
    let (key, _) = key_and_id(&lic);
    let good = json!({"license_key": key, "hardware_id": "h"}).to_string();

    // 413: a declared body over 64 KiB, and a chunked one.
    app.raw("POST", ACQUIRE, None, Some("application/json"), big_json())
        .await
        .expect_error(413, "payload_too_large");
    let (status, text) = app
        .chunked_post(ACQUIRE, "application/json", 20, 5 * 1024)
        .await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"payload_too_large\""), "{text}");
    // 64 KiB exactly is within the limit (then refused for its content, not its size).
    let at_limit = format!("{{\"license_key\": \"{}\"}}", "a".repeat(64 * 1024 - 19));
    assert_eq!(at_limit.len(), 64 * 1024);
    app.raw("POST", ACQUIRE, None, Some("application/json"), at_limit)
        .await
        .expect_error(422, "validation_error");

    // 415: a body without a JSON content type.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("json"),
    ] {
        app.raw("POST", ACQUIRE, None, ct, good.clone())
            .await
            .expect_error(415, "unsupported_media_type");
    }
    for (i, ct) in ["application/json; charset=utf-8", "Application/JSON"]
        .into_iter()
        .enumerate()
    {
        let body = json!({"license_key": key, "hardware_id": format!("ct-{i}")});
        app.raw("POST", ACQUIRE, None, Some(ct), body.to_string())
            .await
            .expect(201);
    }
    // 400: empty, not JSON, not an object.
    for body in [
        "",
        "   ",
        "{",
        "nope",
        "{\"license_key\": }",
        "[]",
        "[1]",
        "\"s\"",
        "42",
        "null",
        "true",
    ] {
        app.raw("POST", ACQUIRE, None, Some("application/json"), body)
            .await
            .expect_error(400, "invalid_json");
    }
}

#[tokio::test]
async fn order_of_precedence_with_two_errors_at_once() {
    let app = spawn_app().await;
    let a = app.tenant_fixture().await;
    let b = app.tenant_fixture().await;
    let a_lic = app.create_license(&a.id, json!({"seats_total": 1})).await;
    let (a_key, a_lid) = key_and_id(&a_lic);
    let a_licenses = format!("/api/v1/tenants/{}/licenses", a.id);
    let b_licenses = format!("/api/v1/tenants/{}/licenses", b.id);

    // 413 before 401.
    app.raw(
        "POST",
        &a_licenses,
        None,
        Some("application/json"),
        big_json(),
    )
    .await
    .expect_error(413, "payload_too_large");
    app.raw(
        "POST",
        "/api/v1/tenants",
        Some("wrong"),
        Some("application/json"),
        big_json(),
    )
    .await
    .expect_error(413, "payload_too_large");
    // 413 before 401 with a chunked body too (no content-length to look at).
    let (status, text) = app
        .chunked_post("/api/v1/tenants", "application/json", 20, 5 * 1024)
        .await;
    assert_eq!(status, 413, "{text}");
    // 401 before a tenant 404.
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/licenses", random_uuid()),
        None,
        None,
    )
    .await
    .expect_error(401, "unauthorized");
    app.call("GET", "/api/v1/tenants/not-a-uuid/licenses", None, None)
        .await
        .expect_error(401, "unauthorized");
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/licenses", b.id),
        Some("bad-token"),
        None,
    )
    .await
    .expect_error(401, "unauthorized");
    // Scope 404 before 403: a read_only token writing in another tenant.
    app.call(
        "POST",
        &b_licenses,
        Some(&a.reader),
        Some(json!({"seats_total": 1})),
    )
    .await
    .expect_error(404, "not_found");
    app.call("POST", &b_licenses, Some(&a.reader), Some(json!({})))
        .await
        .expect_error(404, "not_found");
    // Scope 404 before 422 and 415 for a writer too.
    app.raw("POST", &b_licenses, Some(&a.admin), Some("text/plain"), "x")
        .await
        .expect_error(404, "not_found");
    app.call(
        "POST",
        &format!("/api/v1/tenants/{}/licenses", random_uuid()),
        Some(ADMIN_TOKEN),
        Some(json!({})),
    )
    .await
    .expect_error(404, "not_found");
    // 403 before 415, 400 and 422.
    app.raw(
        "POST",
        &a_licenses,
        Some(&a.reader),
        Some("text/plain"),
        "x",
    )
    .await
    .expect_error(403, "forbidden");
    app.raw(
        "POST",
        &a_licenses,
        Some(&a.reader),
        Some("application/json"),
        "{",
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        "POST",
        "/api/v1/tenants",
        Some(&a.admin),
        Some(json!({"slug": 5})),
    )
    .await
    .expect_error(403, "forbidden");
    // 403 before license 404.
    app.call(
        "PATCH",
        &format!("{a_licenses}/{}", random_uuid()),
        Some(&a.reader),
        Some(json!({})),
    )
    .await
    .expect_error(403, "forbidden");
    // 415 before 400.
    app.raw("POST", &a_licenses, Some(&a.admin), Some("text/plain"), "{")
        .await
        .expect_error(415, "unsupported_media_type");
    app.raw("POST", ACQUIRE, None, None, "not json")
        .await
        .expect_error(415, "unsupported_media_type");
    // 400 before 422.
    app.raw(
        "POST",
        &a_licenses,
        Some(&a.admin),
        Some("application/json"),
        "[{\"seats_total\": 0}]",
    )
    .await
    .expect_error(400, "invalid_json");
    // 422 before license or session 404.
    app.call(
        "PATCH",
        &format!("{a_licenses}/{}", random_uuid()),
        Some(&a.admin),
        Some(json!({"seats_total": -1})),
    )
    .await
    .expect_error(422, "validation_error");
    app.client(
        HEARTBEAT,
        json!({"license_key": "NO-SUCH", "session_id": "x"}),
    )
    .await
    .expect_error(422, "validation_error");
    app.client(
        ACQUIRE,
        json!({"license_key": "NO-SUCH", "hardware_id": ""}),
    )
    .await
    .expect_error(422, "validation_error");
    // Session 410 before license_suspended.
    let s = app.take_seat(&a_key, "hw").await;
    let sid = s["session_id"].as_str().unwrap();
    app.release(&a_key, sid).await.expect(200);
    app.patch_license(
        &a.id,
        &a_lid,
        json!({"is_active": false, "expires_at": time_from_now(-5)}),
    )
    .await;
    app.heartbeat(&a_key, sid)
        .await
        .expect_error(410, "session_released");
    // license_suspended before license_expired.
    app.acquire(&a_key, "hw")
        .await
        .expect_error(403, "license_suspended");
    // license_expired before 409: a full, expired license.
    app.patch_license(
        &a.id,
        &a_lid,
        json!({"is_active": true, "expires_at": null}),
    )
    .await;
    app.take_seat(&a_key, "holder").await;
    app.acquire(&a_key, "newcomer")
        .await
        .expect_error(409, "no_seats_available");
    app.patch_license(&a.id, &a_lid, json!({"expires_at": time_from_now(-5)}))
        .await;
    app.acquire(&a_key, "newcomer")
        .await
        .expect_error(403, "license_expired");
    // License 404 before 409 is trivial; session 404 before 410: a released session under
    // the wrong key is not found, not gone.
    let (_, other) = app.license_with(json!({"seats_total": 1})).await;
    let (other_key, _) = key_and_id(&other);
    app.heartbeat(&other_key, sid)
        .await
        .expect_error(404, "session_not_found");
}
