//! Hostile requests beyond bodies (paths, queries, headers), and extreme values that are
//! valid and must be stored and answered as they are, on both backends.

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::hostile_cases::{email_of_length, nested};

#[tokio::test]
async fn extreme_but_valid_values_are_accepted() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    let deep_meta: Value = serde_json::from_str(&nested(100)).unwrap();
    for body in [
        json!({"seats_total": 1_000_000, "heartbeat_ttl_seconds": 604_800}),
        json!({"seats_total": 1, "heartbeat_ttl_seconds": 1}),
        json!({"seats_total": 1, "expires_at": "9999-12-31T23:59:59.999999Z"}),
        json!({"seats_total": 1, "expires_at": "0001-01-01T00:00:00Z"}),
        json!({"seats_total": 1, "expires_at": "1970-01-01T00:00:00Z"}),
        json!({"seats_total": 1, "expires_at": "2030-06-30T12:00:00.123456789+14:00"}),
        json!({"seats_total": 1, "name": "ü".repeat(200), "entitlements": ["é".repeat(128)]}),
        json!({"seats_total": 1, "metadata": deep_meta}),
        json!({"seats_total": 1, "metadata": {"big": u64::MAX, "neg": i64::MIN, "f": 1e300,
            "emoji": "🦀", "nested": [[[]]], "null": null}}),
    ] {
        let l = app
            .call("POST", &path, Some(&t.admin), Some(body.clone()))
            .await
            .expect(201);
        assert_license_shape(&l);
        let (key, lid) = key_and_id(&l);
        if let Some(m) = body.get("metadata") {
            assert_eq!(&l["metadata"], m, "metadata round-trips");
        }
        let got = app
            .admin("GET", &format!("{path}/{lid}"), None)
            .await
            .expect(200);
        assert_eq!(got, l, "stored as answered");
        // Every such license answers acquire with a contract status, never a 5xx.
        let r = app.acquire(&key, &"h".repeat(256)).await;
        assert!(
            [201, 403].contains(&r.status.as_u16()),
            "{body}: {} {}",
            r.status,
            r.text
        );
    }
    // A 256-character hardware id of multi-byte characters, and a 254-character e-mail.
    let l = app.create_license(&t.id, json!({"seats_total": 2})).await;
    let (key, _) = key_and_id(&l);
    let email = email_of_length(254);
    app.client(
        "/api/v1/licenses/acquire",
        json!({"license_key": key, "hardware_id": "日".repeat(256), "user_email": email}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn hostile_paths_queries_and_headers_answer_4xx_in_the_error_shape() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let lic = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let (_, lid) = key_and_id(&lic);
    let tid = &t.id;
    let long = "x".repeat(8 * 1024);
    let cases: Vec<(String, u16, &str)> = vec![
        ("/api/v1/tenants/%FF%FE/licenses".into(), 404, "not_found"),
        (
            format!("/api/v1/tenants/{tid}%00/licenses"),
            404,
            "not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/%00"),
            404,
            "license_not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}%20"),
            404,
            "license_not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{long}"),
            404,
            "license_not_found",
        ),
        (format!("/api/v1/{long}"), 404, "not_found"),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit=%FF"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?cursor=%00"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit=1e2"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit={long}"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=%00"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=ACTIVE"),
            422,
            "validation_error",
        ),
    ];
    for (path, status, code) in cases {
        app.call("GET", &path, Some(&t.admin), None)
            .await
            .expect_error(status, code);
    }
    // Duplicate or unknown query parameters are not a fault of the server.
    for q in ["limit=1&limit=2", "foo=bar", "limit=5&&&", "%3D%3D=%26"] {
        let r = app
            .call(
                "GET",
                &format!("/api/v1/tenants/{tid}/licenses?{q}"),
                Some(&t.admin),
                None,
            )
            .await;
        assert!(
            r.status == 200 || r.status == 422,
            "{q}: {} {}",
            r.status,
            r.text
        );
    }
    // Oversized or non-UTF-8 headers: refused or replaced, never a 5xx.
    let path = format!("/api/v1/tenants/{tid}/licenses");
    let huge_token = format!("Bearer {}", "a".repeat(10_000));
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .header("authorization", huge_token),
        )
        .await;
    r.expect_error(401, "unauthorized");
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .header("authorization", &b"Bearer \xff\xfe"[..]),
        )
        .await;
    r.expect_error(401, "unauthorized");
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .bearer_auth(&t.admin)
                .header("x-request-id", long.as_str()),
        )
        .await;
    assert_ne!(r.header("x-request-id"), Some(long.as_str()));
    r.expect(200);
}
