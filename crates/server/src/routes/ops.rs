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
