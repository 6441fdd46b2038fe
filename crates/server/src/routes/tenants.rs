//! Tenants and their API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coditect_domain::input::{Name, Slug};
use coditect_domain::{NewTenant, Role};
use coditect_storage::NewApiToken;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::{new_admin_token, sha256_hex};
use crate::http::extract::{
    ApiJson, JsonInput, ListQuery, PathIds, Superadmin, TenantRead, TenantWrite,
};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::state::AppState;
use crate::views::{ErrorBody, TenantPage, TenantView, TokenCreatedView, TokenPage, TokenView};

/// Body of a tenant creation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TenantBody {
    /// Display name.
    name: doc::Name,
    /// Unique handle (409 `conflict` when taken).
    slug: doc::Slug,
}

impl JsonInput for NewTenant {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let name = f.required("name", Name::parse);
        let slug = f.required("slug", Slug::parse);
        f.finish(|| {
            Some(NewTenant {
                name: name?,
                slug: slug?,
            })
        })
    }
}

/// Creates a tenant (superadmin).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "admin", request_body = TenantBody,
    security(("bearer" = [])),
    responses((status = 201, body = TenantView), (status = 409, description = "conflict: slug taken", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ApiJson(t): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<TenantView>)> {
    let tenant = state.store.create_tenant(t, &p.actor).await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

/// Lists tenants, oldest first (superadmin).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "admin", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = TenantPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_tenants(
    State(state): State<AppState>,
    _: Superadmin,
    q: ListQuery,
) -> ApiResult<Json<TenantPage>> {
    let page = state.store.list_tenants(q.page).await?;
    Ok(Json(TenantPage::new(page.map(Into::into))))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}", tag = "admin", security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody)))]
pub async fn get_tenant(
    State(state): State<AppState>,
    access: TenantRead,
) -> ApiResult<Json<TenantView>> {
    let t = state
        .store
        .get_tenant(access.tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(t.into()))
}

/// Body of a token creation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenBody {
    /// Display name.
    name: doc::Name,
    role: doc::TokenRole,
}

/// A parsed token creation.
pub struct TokenInput {
    name: Name,
    role: Role,
}

impl JsonInput for TokenInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let name = f.required("name", Name::parse);
        let role = f.required("role", |s| match s {
            "admin" => Ok(Role::Admin),
            "read_only" => Ok(Role::ReadOnly),
            _ => Err("must be admin or read_only".to_owned()),
        });
        f.finish(|| {
            Some(Self {
                name: name?,
                role: role?,
            })
        })
    }
}

/// Creates a tenant token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/tokens", tag = "admin", request_body = TokenBody,
    security(("bearer" = [])), params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 201, body = TokenCreatedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    access: TenantWrite,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<TokenCreatedView>)> {
    let secret = new_admin_token();
    let new = NewApiToken {
        tenant_id: Some(access.tenant_id),
        name: input.name.as_str().to_owned(),
        role: input.role,
        secret_hash: sha256_hex(secret.as_bytes()),
        created_by_user_id: access.principal.token_creator(),
        made_by_user_id: access.principal.token_maker(),
    };
    let t = state
        .store
        .create_token(new, Some(&access.principal.actor))
        .await?;
    let view = TokenCreatedView {
        id: t.id,
        name: t.name,
        role: t.role.as_str().into(),
        created_at: t.created_at,
        token: secret,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// Lists a tenant's tokens, without secrets.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/tokens", tag = "admin", security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path), PageParams),
    responses((status = 200, body = TokenPage), (status = 404, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    access: TenantRead,
    q: ListQuery,
) -> ApiResult<Json<TokenPage>> {
    let page = state.store.list_tokens(access.tenant_id, q.page).await?;
    Ok(Json(TokenPage::new(page.map(Into::into))))
}

/// Revokes a token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/tokens/{token_id}", tag = "admin",
    security(("bearer" = [])), params(("tenant_id" = uuid::Uuid, Path), ("token_id" = uuid::Uuid, Path)),
    responses((status = 200, body = TokenView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<Json<TokenView>> {
    let token_id = ids.uuid("token_id").ok_or_else(ApiError::not_found)?;
    let t = state
        .store
        .revoke_token(access.tenant_id, token_id, &access.principal.actor)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(t.into()))
}
