//! Operations endpoints: liveness, readiness, metrics (and what their labels must never
//! hold), the OpenAPI document and the docs page.

use serde_json::json;

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::proxy::*;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let h = app.call("GET", "/health/", None, None).await.expect(200);
    assert_eq!(h, json!({"status": "ok"}));
    let r = app.call("GET", "/readyz", None, None).await.expect(200);
    assert!(r.is_object());
}

/// A loopback address nothing listens on.
fn dead_redis_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("redis://127.0.0.1:{port}/")
}

#[tokio::test]
async fn readiness_follows_a_configured_redis_that_does_not_answer() {
    // The contract's default: a configured Redis that does not answer makes /readyz 503.
    let app = spawn_app_with(|c| c.redis_url = Some(dead_redis_url())).await;
    let r = app.call("GET", "/readyz", None, None).await;
    r.expect_error(503, "service_unavailable");
    assert_eq!(
        r.body["error"]["details"]["dependency"], "redis",
        "{}",
        r.body
    );
    assert!(r.header("retry-after").is_some());
    // Rate limits fall back to this process's counters: clients are served all the same.
    let (_, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, _) = key_and_id(&lic);
    app.acquire(&key, "while-redis-is-away").await.expect(201);

    // The operator's choice: report Redis, stay ready.
    let app = spawn_app_with(|c| {
        c.redis_url = Some(dead_redis_url());
        c.readyz_requires_redis = false;
    })
    .await;
    let body = app.call("GET", "/readyz", None, None).await.expect(200);
    assert_eq!(body["redis"], "down", "{body}");
}

#[tokio::test]
async fn readiness_is_503_while_the_database_is_unreachable() {
    let Some(admin_url) = std::env::var("CODITECT_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        // Embedded SQLite has no connection to lose; the outage is played on PostgreSQL.
        eprintln!("skipped on {}: needs a database server", backend_name());
        return;
    };
    let proxy = CuttableProxy::start(authority_of(&admin_url)).await;
    let app = spawn_app_with(|c| {
        let url = c.database_url.clone().unwrap();
        c.database_url = Some(proxy.rewrite(&url));
    })
    .await;
    app.call("GET", "/readyz", None, None).await.expect(200);
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, _) = key_and_id(&lic);

    proxy.cut();
    let r = app.acquire(&key, "during-outage").await;
    r.expect_error(503, "service_unavailable");
    assert!(r.header("retry-after").is_some());
    app.admin("GET", &format!("/api/v1/tenants/{tid}/licenses"), None)
        .await
        .expect_error(503, "service_unavailable");
    let r = app.call("GET", "/readyz", None, None).await;
    r.expect_error(503, "service_unavailable");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!(retry >= 1);
    assert!(
        !r.text.contains("127.0.0.1"),
        "the body tells nothing of the cause"
    );
    // Liveness does not depend on the database.
    app.call("GET", "/health/", None, None).await.expect(200);

    proxy.restore();
    let mut ready = false;
    for _ in 0..50 {
        if app.call("GET", "/readyz", None, None).await.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the database answers");
    app.take_seat(&key, "after-outage").await;
}

#[tokio::test]
async fn metrics_have_the_families_and_no_tenant_license_or_key_in_labels() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = key_and_id(&lic);
    let s = app.take_seat(&key, "metrics-hw").await;
    let sid = s["session_id"].as_str().unwrap().to_owned();
    app.acquire(&key, "second")
        .await
        .expect_error(409, "no_seats_available");
    app.acquire("UNKNOWN-KEY", "x")
        .await
        .expect_error(404, "license_not_found");
    app.heartbeat(&key, &sid).await.expect(200);
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
        None,
    )
    .await
    .expect(200);
    app.call("GET", &format!("/nowhere/{tid}"), None, None)
        .await
        .expect_error(404, "not_found");
    // Give the background tasks a moment to publish their gauges.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;

    let r = app.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, 200);
    r.assert_common_headers();
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    let text = &r.text;
    for family in [
        "http_requests_total",
        "http_request_duration_seconds",
        "license_acquires_total",
        "sessions_live",
        "reaper_runs_total",
        "reaper_sessions_expired_total",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(family)),
            "metric family {family} missing"
        );
    }
    assert!(text.contains("outcome=\"granted\""));
    assert!(text.contains("outcome=\"no_seats_available\""));
    assert!(text.contains("route=\"/api/v1/tenants/{tenant_id}/licenses/{license_id}\""));
    // Metrics are process-wide, so this holds for every id any test made in this process:
    // no label value is a UUID or a license key.
    for id in [&tid, &lid, &sid, &key, &key.to_lowercase()] {
        assert!(!text.contains(id.as_str()), "an id or key is in a label");
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(labels) = line.split_once('{').and_then(|(_, r)| r.split_once('}')) else {
            continue;
        };
        for pair in labels.0.split(',') {
            let value = pair.split_once('=').map(|(_, v)| v.trim_matches('"'));
            if let Some(v) = value {
                for part in v.split('/') {
                    assert!(
                        uuid::Uuid::parse_str(part).is_err(),
                        "a UUID in a label: {line}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn openapi_document_lists_every_contract_path() {
    let app = spawn_app().await;
    let r = app.call("GET", "/api/openapi.json", None, None).await;
    let doc = r.expect(200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/licenses/acquire", &["post"]),
        ("/api/v1/licenses/heartbeat", &["post"]),
        ("/api/v1/licenses/release", &["post"]),
        ("/api/v1/licenses/validate", &["post"]),
        ("/.well-known/jwks.json", &["get"]),
        ("/api/v1/tenants", &["post", "get"]),
        ("/api/v1/tenants/{tenant_id}", &["get"]),
        ("/api/v1/tenants/{tenant_id}/tokens", &["post", "get"]),
        ("/api/v1/tenants/{tenant_id}/tokens/{token_id}", &["delete"]),
        ("/api/v1/tenants/{tenant_id}/licenses", &["post", "get"]),
        (
            "/api/v1/tenants/{tenant_id}/licenses/{license_id}",
            &["get", "patch"],
        ),
        (
            "/api/v1/tenants/{tenant_id}/licenses/{license_id}/sessions",
            &["get"],
        ),
        (
            "/api/v1/tenants/{tenant_id}/sessions/{session_id}",
            &["delete"],
        ),
        ("/api/v1/tenants/{tenant_id}/audit", &["get"]),
        ("/api/v1/tenants/{tenant_id}/usage", &["get"]),
        ("/api/v1/tenants/{tenant_id}/webhooks", &["post", "get"]),
        (
            "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}",
            &["get", "patch", "delete"],
        ),
        (
            "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries",
            &["get"],
        ),
        (
            "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            &["post"],
        ),
        ("/api/v1/auth/providers", &["get"]),
        ("/api/v1/auth/oidc/{id}/start", &["get"]),
        ("/api/v1/auth/oidc/{id}/callback", &["get"]),
        ("/api/v1/auth/login/second-factor", &["post"]),
        ("/api/v1/auth/totp/setup", &["post"]),
        ("/api/v1/auth/totp/confirm", &["post"]),
        ("/api/v1/auth/totp/recovery-codes", &["post"]),
        ("/api/v1/auth/totp", &["delete"]),
        ("/api/v1/auth/signup", &["post"]),
        ("/api/v1/auth/signup/verify", &["post"]),
        ("/api/v1/tenants/{tenant_id}/sso", &["get", "put"]),
        (
            "/api/v1/tenants/{tenant_id}/trusted-issuers",
            &["get", "post"],
        ),
        (
            "/api/v1/tenants/{tenant_id}/trusted-issuers/{issuer_id}",
            &["delete"],
        ),
        ("/api/v1/webhooks", &["post", "get"]),
        ("/api/v1/webhooks/{webhook_id}", &["get", "patch", "delete"]),
        ("/api/v1/webhooks/{webhook_id}/deliveries", &["get"]),
        (
            "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            &["post"],
        ),
        ("/health/", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/api/openapi.json", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"));
        for m in *methods {
            assert!(item.get(*m).is_some(), "{m} {path} is not documented");
        }
    }
    // Bodies and the error shape are described, not left blank.
    let acquire = &paths["/api/v1/licenses/acquire"]["post"];
    assert!(acquire["requestBody"].is_object());
    for code in ["201", "200", "404", "409", "422"] {
        assert!(acquire["responses"][code].is_object(), "acquire {code}");
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.contains_key("ErrorBody"));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_is_html() {
    let app = spawn_app().await;
    let r = app.call("GET", "/api/docs", None, None).await;
    assert_eq!(r.status, 200);
    r.assert_common_headers();
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(r.text.to_lowercase().contains("<html"));
    assert!(r.text.contains("openapi") || r.text.contains("CODITECT"));
}
