//! The request body limit, enforced once for every routed request before any extractor
//! runs, so `413` precedes `401` whatever the framing (a declared `content-length` or a
//! chunked body).
//!
//! A body that is refused, or that a route never reads, is read to its end (up to
//! [`DRAIN_LIMIT`]) before the answer goes out. Otherwise the server would close the
//! connection with unread bytes in its socket, the kernel would reset it, and a client
//! still sending would see a broken connection instead of the `413` (or `404`, `405`).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::error::ApiError;
use super::extract::BODY_LIMIT;

/// How much of a refused body is read and thrown away so its sender gets the answer; a
/// larger one is cut off (the connection closes).
pub const DRAIN_LIMIT: usize = 1024 * 1024;
/// How long draining may take.
const DRAIN_TIME: Duration = Duration::from_secs(5);

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// Reads and discards what is left of a body, within [`DRAIN_LIMIT`] and [`DRAIN_TIME`].
pub async fn drain(mut body: Body) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                seen += data.len();
                if seen > DRAIN_LIMIT {
                    break;
                }
            }
        }
    })
    .await;
}

/// Reads the body into memory up to [`BODY_LIMIT`] and hands the request on; a larger
/// body is `413 payload_too_large`.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let (parts, mut body) = req.into_parts();
    if declared_length(&parts.headers).is_some_and(|n| n > BODY_LIMIT as u64) {
        // A client waiting for `100 Continue` has sent nothing yet: refuse without asking
        // for the body.
        if !expects_continue(&parts.headers) {
            drain(body).await;
        }
        return ApiError::payload_too_large(BODY_LIMIT).into_response();
    }
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return ApiError::invalid_json("the request body could not be read").into_response();
        };
        if let Some(data) = frame.data_ref() {
            buf.extend_from_slice(data);
            if buf.len() > BODY_LIMIT {
                drain(body).await;
                return ApiError::payload_too_large(BODY_LIMIT).into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(Bytes::from(buf))))
        .await
}
