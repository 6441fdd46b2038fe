//! Sessions seen by admins, forced release, and the audit log.

use axum::extract::State;
use axum::http::request::Parts;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::{AuditFilter, PageRequest};
use serde_json::Map;
use uuid::Uuid;

use crate::http::extract::{
    parse_page, query_map, time_param, ListQuery, PathIds, TenantRead, TenantWrite,
};
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::state::AppState;
use crate::views::{AuditPage, ErrorBody, SessionPage, SessionView};

/// `?from=&to=` of the session listing: the time range the sessions held their seat in.
pub struct SessionRange {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionRange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = query_map(&parts.uri)?;
        let mut errors = Map::new();
        let from = time_param(&q, "from", &mut errors);
        let to = time_param(&q, "to", &mut errors);
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                errors.insert("from".into(), "must be before to".into());
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self { from, to })
    }
}

/// A license's sessions, oldest first, optionally filtered by status and by the time
/// range they held their seat in (started before `to`, ended or expiring at or after `from`).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/licenses/{license_id}/sessions", tag = "admin",
    security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("license_id" = uuid::Uuid, Path),
        ("status" = Option<doc::SessionStatusFilter>, Query),
        ("from" = Option<doc::TimeFilter>, Query, description = "sessions that ended (or expire) at or after this time"),
        ("to" = Option<doc::TimeFilter>, Query, description = "sessions that started before this time; after `from`"),
        PageParams),
    responses((status = 200, body = SessionPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    access: TenantRead,
    ids: PathIds,
    q: ListQuery,
    range: SessionRange,
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
        .list_sessions_during(
            access.tenant_id,
            license_id,
            q.status,
            range.from,
            range.to,
            q.page,
        )
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

/// The longest `actor` filter accepted (a name or e-mail fragment).
const AUDIT_ACTOR_MAX: usize = 200;

/// `?actor=&resource=&resource_id=&action=&from=&to=&limit=&cursor=` of the audit log.
pub struct AuditQuery {
    filter: AuditFilter,
    page: PageRequest,
}

/// Whether `s` is a lower-case word (`a-z` and `_`), the shape of resource kinds and of
/// each half of an action name.
fn is_word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AuditQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = query_map(&parts.uri)?;
        let mut errors = Map::new();
        let page = parse_page(&q, &mut errors);
        // Taken as sent (never trimmed), so the server accepts exactly what the document
        // says; empty means no filter.
        let text = |name: &str| q.get(name).map(String::as_str).filter(|s| !s.is_empty());
        let mut filter = AuditFilter::default();
        if let Some(a) = text("actor") {
            if a.chars().count() > AUDIT_ACTOR_MAX || a.contains('\0') {
                let msg = format!("must be at most {AUDIT_ACTOR_MAX} characters, without U+0000");
                errors.insert("actor".into(), msg.into());
            } else {
                filter.actor = Some(a.to_owned());
            }
        }
        if let Some(r) = text("resource") {
            if is_word(r) {
                filter.resource = Some(r.to_owned());
            } else {
                errors.insert(
                    "resource".into(),
                    "must be a resource kind such as license or session".into(),
                );
            }
        }
        if let Some(id) = text("resource_id") {
            match Uuid::parse_str(id) {
                Ok(u) => filter.resource_id = Some(u),
                Err(_) => {
                    errors.insert("resource_id".into(), "must be a UUID".into());
                }
            }
        }
        if let Some(a) = text("action") {
            match a.split_once('.') {
                Some((kind, verb)) if is_word(kind) && is_word(verb) => {
                    filter.action = Some(a.to_owned())
                }
                _ => {
                    errors.insert(
                        "action".into(),
                        "must be an action name such as license.update".into(),
                    );
                }
            }
        }
        filter.from = time_param(&q, "from", &mut errors);
        filter.to = time_param(&q, "to", &mut errors);
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from >= to {
                errors.insert("from".into(), "must be before to".into());
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self { filter, page })
    }
}

/// The tenant's audit log, newest first; the filters are applied before paging.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/audit", tag = "admin", security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path),
        ("actor" = Option<doc::AuditActorFilter>, Query, description = "case-insensitive part of the actor's name (a user's e-mail, a token's name)"),
        ("resource" = Option<doc::AuditResourceFilter>, Query, description = "resource kind: tenant, token, license, session, invitation, member"),
        ("resource_id" = Option<doc::UuidFilter>, Query, description = "entries about this one resource"),
        ("action" = Option<doc::AuditActionFilter>, Query, description = "one action, e.g. license.update"),
        ("from" = Option<doc::TimeFilter>, Query, description = "entries at or after this time"),
        ("to" = Option<doc::TimeFilter>, Query, description = "entries before this time; after `from`"),
        PageParams),
    responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    access: TenantRead,
    q: AuditQuery,
) -> ApiResult<Json<AuditPage>> {
    let page = state
        .store
        .list_audit_filtered(access.tenant_id, &q.filter, q.page)
        .await?;
    Ok(Json(AuditPage::new(page.map(Into::into))))
}
