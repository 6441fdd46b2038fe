//! Cross-origin access: off by default (no CORS header on any answer, preflights not
//! answered as allowed), and with `CODITECT_CORS_ORIGINS` only for the listed origins,
//! bearer tokens only (never credentials, so a dashboard cookie cannot be used from
//! another site).

use crate::support::helpers::*;

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/tenants"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn cross_origin_access_is_off_by_default() {
    let app = spawn_app().await;
    let r = preflight(&app, "https://evil.example").await;
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    let r = app
        .http
        .get(app.url("/api/v1/tenants"))
        .header("origin", "https://evil.example")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn listed_origins_may_call_with_a_bearer_token_and_others_may_not() {
    let app =
        spawn_app_with(|c| c.cors_origins = vec!["https://portal.vendor.example".into()]).await;
    let r = preflight(&app, "https://portal.vendor.example").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin"),
        Some("https://portal.vendor.example")
    );
    assert!(header(&r, "access-control-allow-headers")
        .is_some_and(|h| h.to_ascii_lowercase().contains("authorization")));
    assert_eq!(
        header(&r, "access-control-allow-credentials"),
        None,
        "never credentials"
    );
    let r = app
        .http
        .get(app.url("/api/v1/tenants"))
        .header("origin", "https://portal.vendor.example")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin"),
        Some("https://portal.vendor.example")
    );
    assert!(header(&r, "access-control-expose-headers").is_some_and(|h| h.contains("x-request-id")));
    let r = preflight(&app, "https://evil.example").await;
    assert_eq!(header(&r, "access-control-allow-origin"), None);
}
