//! The browsable API reference at `/api/docs`: Scalar's page over the OpenAPI document,
//! with Scalar's script served from this binary (vendored in `crates/server/assets/`),
//! never from a CDN, under a Content-Security-Policy that allows only this origin.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa_scalar::{Scalar, Servable};

/// The version of the vendored Scalar script, part of its URL so it can be cached forever.
const SCALAR_VERSION: &str = "1.46.4";
/// The vendored script.
static SCALAR_JS: &[u8] = include_bytes!("../../assets/scalar-api-reference.js");

/// Scalar's page, loading the vendored script.
const PAGE: &str = r#"<!doctype html>
<html>
<head>
    <title>CODITECT License Server API</title>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
</head>
<body>
<script id="api-reference" type="application/json">
    $spec
</script>
<script src="/api/docs/scalar-1.46.4.js"></script>
</body>
</html>"#;

/// What the page may load: scripts, data and fonts from this origin only (Scalar styles
/// itself inline).
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/// The `/api/docs` routes.
pub fn router() -> Router {
    debug_assert!(PAGE.contains(SCALAR_VERSION));
    let page: Router = Scalar::with_url("/api/docs", crate::openapi::document())
        .custom_html(PAGE)
        .into();
    page.layer(axum::middleware::map_response(with_page_csp))
        .route(
            &format!("/api/docs/scalar-{SCALAR_VERSION}.js"),
            get(script),
        )
}

async fn with_page_csp(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    res
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        SCALAR_JS,
    )
        .into_response()
}
