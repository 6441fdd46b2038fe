//! The outermost request middleware: request id, access log, metrics, the
//! `x-api-version` header, and rendering of every error in the contract's shape; and
//! the request timeout around each handler.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::error::{ApiError, PendingError};

/// The request id of the request being served, for handlers and logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn acceptable_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then(|| s.to_owned())
}

/// Headers every answer carries, so a browser never sniffs a JSON or CSV answer into
/// something runnable, never frames the dashboard, and (behind an `https://` public URL)
/// sticks to HTTPS. API answers (JSON, CSV) also get a `Content-Security-Policy` that
/// allows nothing at all; the dashboard's pages are left to their own.
pub async fn security_headers(
    axum::extract::State(hsts): axum::extract::State<bool>,
    mut res: Response,
) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let is_data = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/csv"));
    if is_data {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Cross-origin access for the configured origins only: exact origins, bearer tokens
/// (never cookies: `allow-credentials` stays off, so a dashboard session cannot be used
/// from another site), the methods and headers the API uses. With no origin configured the
/// layer adds nothing and answers no preflight.
pub fn cors(
    origins: &[String],
) -> tower::util::Either<tower_http::cors::CorsLayer, tower::layer::util::Identity> {
    use axum::http::Method;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if allowed.is_empty() {
        return tower::util::Either::Right(tower::layer::util::Identity::new());
    }
    tower::util::Either::Left(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::HeaderName::from_static("x-request-id"),
                header::HeaderName::from_static("x-api-version"),
                header::RETRY_AFTER,
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Wraps every request: see the module doc.
pub async fn outer(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let mut res = next.run(req).instrument(span.clone()).await;

    if let Some(PendingError(err)) = res.extensions_mut().remove::<PendingError>() {
        res = render(res, &err, &id);
    } else if res.status() == StatusCode::METHOD_NOT_ALLOWED {
        res = render(res, &ApiError::method_not_allowed(), &id);
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }
    headers.insert("x-api-version", HeaderValue::from_static("1"));

    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let labels = [
        ("route", route),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        );
    });
    res
}

fn render(res: Response, err: &ApiError, request_id: &str) -> Response {
    let (mut parts, _) = res.into_parts();
    let body = serde_json::to_vec(&err.body(request_id)).unwrap_or_default();
    parts.status = err.status();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Answers `503 service_unavailable` (with `Retry-After`) for a request its handler has
/// not answered within `timeout` (`CODITECT_REQUEST_TIMEOUT_SECONDS`), so a database that
/// stopped answering without closing its connections holds no request longer. The
/// handler is dropped at the await it waits in: a transaction it had open never commits
/// (sqlx rolls back a dropped transaction, the database one whose connection closes), and
/// one it was committing has an unknown outcome, as with any lost answer; the client's
/// retry (of an acquire with the same hardware id) finds what it did.
/// An acquire may wait for a seat (`wait_seconds`) longer than that: its handler sets its
/// own deadline, the timeout plus its wait ([`within_deadline`]).
pub async fn deadline(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path() == ACQUIRE_PATH {
        return next.run(req).await;
    }
    within_deadline(timeout, next.run(req))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The route whose handler keeps its own deadline.
const ACQUIRE_PATH: &str = "/api/v1/licenses/acquire";

/// Runs `work`, or gives up with `503 service_unavailable` after `timeout`.
pub async fn within_deadline<T>(
    timeout: Duration,
    work: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        ApiError::unavailable(format!(
            "no answer within the request timeout ({} s)",
            timeout.as_secs()
        ))
    })
}

/// The fallback for unknown routes. Any body is drained first (see `body_limit`).
pub async fn route_not_found(body: Body) -> ApiError {
    super::body_limit::drain(body).await;
    ApiError::not_found()
}

/// The fallback for known routes called with the wrong method; drains any body too.
pub async fn wrong_method(body: Body) -> ApiError {
    super::body_limit::drain(body).await;
    ApiError::method_not_allowed()
}

/// Turns a panic into a plain `500 internal_error`; the payload is logged, not sent.
pub fn panic_to_error(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into());
    ApiError::internal(format!("handler panicked: {msg}")).into_response()
}
