//! Operations endpoints: liveness, readiness, metrics, JWKS, OpenAPI.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::http::{ApiError, ApiResult};
use crate::request_limits::RedisHealth;
use crate::state::AppState;
use crate::views::ErrorBody;

/// Liveness: the process answers; no dependency is checked.
#[utoipa::path(get, path = "/health/", tag = "operations", responses((status = 200, description = "{\"status\":\"ok\"}")))]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the database answers within two seconds. A configured Redis is pinged and
/// reported in the body (`"redis": "up" | "down"`); since every Redis use fails open to
/// per-process limits, a Redis outage leaves the process ready unless
/// `CODITECT_READYZ_REQUIRES_REDIS` is set.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready: {\"status\":\"ready\",\"database\":backend,\"redis\":\"up\"|\"not_configured\"} \
            (or \"down\" when the operator set CODITECT_READYZ_REQUIRES_REDIS=false)"),
        (status = 503, description = "service_unavailable: the database, or the configured Redis, does not \
            answer; details name the dependency (`dependency`: `database` or `redis`)", body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let (db, redis) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(2), state.store.ping()),
        state.limiter.redis_health()
    );
    match db {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(ApiError::unavailable(e).with_detail("dependency", json!("database")))
        }
        Err(_) => {
            return Err(ApiError::unavailable("database ping timed out")
                .with_detail("dependency", json!("database")))
        }
    }
    let redis = match redis {
        RedisHealth::NotConfigured => "not_configured",
        RedisHealth::Up => "up",
        RedisHealth::Down if state.config.readyz_requires_redis => {
            return Err(ApiError::unavailable("Redis does not answer")
                .with_detail("dependency", json!("redis")))
        }
        RedisHealth::Down => "down",
    };
    Ok(Json(json!({
        "status": "ready",
        "database": state.store.backend(),
        "redis": redis,
    })))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics() -> Response {
    let body = crate::telemetry::prometheus().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// The public keys that verify session tokens (RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "client",
    responses((status = 200, description = "JWK set: current key and retired keys still needed")))]
pub async fn jwks(State(state): State<AppState>) -> ApiResult<Response> {
    let doc = state.keys.jwks().await.map_err(ApiError::internal)?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(doc)).into_response())
}

/// The OpenAPI 3.1 document of every endpoint, rendered once.
pub async fn openapi() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(|| crate::openapi::document().to_json().unwrap_or_default());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use coditect_domain::ErrorCode;
    use http_body_util::BodyExt;

    /// The document as `/api/openapi.json` serves it (the route's handler, bytes and all).
    async fn served_document() -> serde_json::Value {
        let res = super::openapi().await;
        assert_eq!(res.status(), super::StatusCode::OK);
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).expect("the OpenAPI document is JSON")
    }

    #[tokio::test]
    async fn the_openapi_document_lists_every_error_code() {
        let doc = served_document().await;
        let schemas = &doc["components"]["schemas"];
        // The error body's `code` is the enum, not a free string.
        assert_eq!(
            schemas["ErrorDetail"]["properties"]["code"]["$ref"],
            "#/components/schemas/ErrorCode"
        );
        let listed: Vec<&str> = schemas["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode is a string enum")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let description = schemas["ErrorCode"]["description"].as_str().unwrap();
        for code in ErrorCode::ALL {
            assert!(
                listed.contains(&code.as_str()),
                "{code} is not in the OpenAPI document"
            );
            let line = format!("- `{code}` ({}): ", code.status());
            assert!(
                description.contains(&line),
                "{code} and its status are not described"
            );
        }
        assert_eq!(listed.len(), ErrorCode::ALL.len(), "a code nobody sends");
    }
}
