//! Sessions seen by admins, forced release, and the audit log.

use axum::extract::State;
use axum::Json;

use crate::http::extract::{ListQuery, PathIds, TenantRead, TenantWrite};
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::state::AppState;
use crate::views::{AuditPage, ErrorBody, SessionPage, SessionView};

/// A license's sessions, oldest first, optionally filtered by status.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/licenses/{license_id}/sessions", tag = "admin",
    security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("license_id" = uuid::Uuid, Path),
        ("status" = Option<doc::SessionStatusFilter>, Query), PageParams),
    responses((status = 200, body = SessionPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    access: TenantRead,
    ids: PathIds,
    q: ListQuery,
) -> ApiResult<Json<SessionPage>> {
    let license_id = ids
        .uuid("license_id")
        .ok_or_else(ApiError::license_not_found)?;
    state
        .store
        .get_license(access.tenant_id, license_id)
        .await?
        .ok_or_else(ApiError::license_not_found)?;
    let page = state
        .store
        .list_sessions(access.tenant_id, license_id, q.status, q.page)
        .await?;
    Ok(Json(SessionPage::new(page.map(Into::into))))
}

/// Ends a session now (a forced release); its client gets `410` with reason `forced`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/sessions/{session_id}", tag = "admin",
    security(("bearer" = [])), params(("tenant_id" = uuid::Uuid, Path), ("session_id" = uuid::Uuid, Path)),
    responses((status = 200, body = SessionView), (status = 403, body = ErrorBody),
        (status = 404, description = "not_found or session_not_found", body = ErrorBody)))]
pub async fn force_release(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<Json<SessionView>> {
    let id = ids
        .uuid("session_id")
        .ok_or_else(ApiError::session_not_found)?;
    let s = state
        .store
        .force_release(access.tenant_id, id, &access.principal.actor)
        .await?
        .ok_or_else(ApiError::session_not_found)?;
    state.waits.seat_freed();
    Ok(Json(s.into()))
}

/// The tenant's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/audit", tag = "admin", security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path), PageParams),
    responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    access: TenantRead,
    q: ListQuery,
) -> ApiResult<Json<AuditPage>> {
    let page = state.store.list_audit(access.tenant_id, q.page).await?;
    Ok(Json(AuditPage::new(page.map(Into::into))))
}
