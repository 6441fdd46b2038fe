//! Licenses: create, list, read, patch.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coditect_domain::input::{
    Name, DEFAULT_HEARTBEAT_TTL, ENTITLEMENTS_MAX, ENTITLEMENT_CHARS_MAX, HEARTBEAT_TTL_RANGE,
    MAX_BORROW_HOURS_RANGE, SEATS_RANGE,
};
use coditect_domain::{LicensePatch, NewLicense, Role};
use coditect_storage::LicenseWithUsage;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::{new_license_key, sha256_hex};
use crate::http::extract::{ApiJson, JsonInput, ListQuery, PathIds, TenantRead, TenantWrite};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::routes::licenses_bulk::LicenseFilterQuery;
use crate::state::AppState;
use crate::views::{ErrorBody, LicensePage, LicenseView};

/// Body of a license creation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LicenseCreateBody {
    /// Null or absent for none.
    name: Option<doc::Name>,
    seats_total: doc::Seats,
    /// Null or absent for never.
    expires_at: Option<doc::Time>,
    /// Default 360.
    #[schema(nullable = false)]
    heartbeat_ttl_seconds: Option<doc::HeartbeatTtl>,
    #[schema(nullable = false)]
    entitlements: Option<doc::Entitlements>,
    #[schema(nullable = false)]
    metadata: Option<doc::Metadata>,
    /// Default true; false creates it suspended.
    #[schema(nullable = false)]
    is_active: Option<bool>,
    /// Default 0 (borrowing disabled).
    #[schema(nullable = false)]
    max_borrow_hours: Option<doc::MaxBorrowHours>,
}

/// Body of a license patch: any subset of the creation fields; absent means unchanged.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LicensePatchBody {
    /// Null clears it.
    name: Option<doc::Name>,
    #[schema(nullable = false)]
    seats_total: Option<doc::Seats>,
    /// Null means never expires.
    expires_at: Option<doc::Time>,
    #[schema(nullable = false)]
    heartbeat_ttl_seconds: Option<doc::HeartbeatTtl>,
    /// Replaced whole.
    #[schema(nullable = false)]
    entitlements: Option<doc::Entitlements>,
    /// Replaced whole.
    #[schema(nullable = false)]
    metadata: Option<doc::Metadata>,
    #[schema(nullable = false)]
    is_active: Option<bool>,
    /// Applies to borrows made from now on.
    #[schema(nullable = false)]
    max_borrow_hours: Option<doc::MaxBorrowHours>,
    /// `true` archives the license: out of the default listing, and suspended (its live
    /// sessions' heartbeats are refused). `false` brings it back, still suspended unless
    /// the same patch sets `is_active: true`.
    #[schema(nullable = false)]
    archived: Option<bool>,
}

/// A parsed license creation, before its key exists.
pub struct LicenseInput(LicensePatch);

fn optional_name(f: &mut Fields) -> Option<Option<Option<String>>> {
    if !f.has("name") {
        return Some(None);
    }
    f.optional("name", true, Name::parse)
        .map(|n| Some(n.map(Name::into_inner)))
}

fn parse_fields(f: &mut Fields, seats_required: bool) -> Option<LicensePatch> {
    let name = optional_name(f);
    let seats_total = f.int("seats_total", seats_required, SEATS_RANGE);
    let expires_at = if f.has("expires_at") {
        f.time("expires_at", true).map(Some)
    } else {
        Some(None)
    };
    let ttl = f.int("heartbeat_ttl_seconds", false, HEARTBEAT_TTL_RANGE);
    let entitlements = f.string_list("entitlements", ENTITLEMENTS_MAX, ENTITLEMENT_CHARS_MAX);
    let metadata = f.free_form_object("metadata");
    let is_active = f.bool("is_active");
    let max_borrow_hours = f.int("max_borrow_hours", false, MAX_BORROW_HOURS_RANGE);
    Some(LicensePatch {
        name: name?,
        seats_total: seats_total?,
        expires_at: expires_at?,
        heartbeat_ttl_seconds: ttl?,
        entitlements: entitlements?,
        metadata: metadata?,
        is_active: is_active?,
        max_borrow_hours: max_borrow_hours?,
        subscription: None,
        archived: None,
    })
}

impl JsonInput for LicenseInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let p = parse_fields(&mut f, true);
        f.finish(|| p.map(LicenseInput))
    }
}

impl JsonInput for LicensePatch {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let p = parse_fields(&mut f, false);
        let archived = f.bool("archived");
        f.finish(|| {
            let mut p = p?;
            p.archived = archived?;
            Some(p)
        })
    }
}

/// The license as a caller with this role on its tenant may see it: `read_only` tokens
/// and viewers never see the key.
pub fn license_view(state: &AppState, role: Role, lu: LicenseWithUsage) -> ApiResult<LicenseView> {
    let key = match role {
        Role::ReadOnly => None,
        Role::Admin | Role::Superadmin => Some(
            state
                .sealer
                .open(&lu.license.key_sealed)
                .map_err(ApiError::internal)?,
        ),
    };
    Ok(LicenseView::new(lu.license, lu.seats_used, key))
}

/// Creates a license with a new random key.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/licenses", tag = "admin", request_body = LicenseCreateBody,
    security(("bearer" = [])), params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 201, body = LicenseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_license(
    State(state): State<AppState>,
    access: TenantWrite,
    ApiJson(LicenseInput(p)): ApiJson<LicenseInput>,
) -> ApiResult<(StatusCode, Json<LicenseView>)> {
    let key = new_license_key();
    let new = NewLicense {
        tenant_id: access.tenant_id,
        name: p.name.flatten(),
        key_sealed: state.sealer.seal(&key).map_err(ApiError::internal)?,
        key_hash: sha256_hex(key.as_bytes()),
        key_hint: key[key.len() - 4..].to_owned(),
        seats_total: p.seats_total.unwrap_or(1),
        expires_at: p.expires_at.flatten(),
        heartbeat_ttl_seconds: p.heartbeat_ttl_seconds.unwrap_or(DEFAULT_HEARTBEAT_TTL),
        entitlements: p.entitlements.unwrap_or_default(),
        metadata: p.metadata.unwrap_or_default(),
        is_active: p.is_active.unwrap_or(true),
        max_borrow_hours: p.max_borrow_hours.unwrap_or(0),
        product_id: None,
        subscription: None,
    };
    let lu = state
        .store
        .create_license(new, &access.principal.actor)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(license_view(&state, access.role, lu)?),
    ))
}

/// Lists a tenant's licenses, oldest first, optionally filtered.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/licenses", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), PageParams,
        ("q" = Option<doc::SearchText>, Query, description = "what support pastes: a case-insensitive substring of the name, key hint or a metadata value; the full license key (matched by its hash); or exactly a hardware id or user e-mail (case-insensitive) that any of the license's sessions ever had"),
        ("state" = Option<doc::LicenseStateFilter>, Query),
        ("expires_before" = Option<doc::TimeFilter>, Query, description = "only licenses expiring before it"),
        ("subscription_id" = Option<doc::SubscriptionIdFilter>, Query, description = "only licenses sold under this Stripe subscription"),
        ("product_id" = Option<doc::UuidFilter>, Query, description = "only licenses made from this product"),
        ("archived" = Option<doc::ArchivedFilterParam>, Query, description = "exclude (the default): licenses in use; include: archived ones too; only: archived ones")),
    responses((status = 200, body = LicensePage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_licenses(
    State(state): State<AppState>,
    access: TenantRead,
    q: ListQuery,
    LicenseFilterQuery(filter): LicenseFilterQuery,
) -> ApiResult<Json<LicensePage>> {
    let page = state
        .store
        .list_licenses(access.tenant_id, &filter, q.page)
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|lu| license_view(&state, access.role, lu))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(LicensePage::new(coditect_domain::Page {
        items,
        next_after: page.next_after,
    })))
}

/// One license.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/licenses/{license_id}", tag = "admin",
    security(("bearer" = [])), params(("tenant_id" = uuid::Uuid, Path), ("license_id" = uuid::Uuid, Path)),
    responses((status = 200, body = LicenseView), (status = 404, description = "not_found or license_not_found", body = ErrorBody)))]
pub async fn get_license(
    State(state): State<AppState>,
    access: TenantRead,
    ids: PathIds,
) -> ApiResult<Json<LicenseView>> {
    let id = ids
        .uuid("license_id")
        .ok_or_else(ApiError::license_not_found)?;
    let lu = state
        .store
        .get_license(access.tenant_id, id)
        .await?
        .ok_or_else(ApiError::license_not_found)?;
    Ok(Json(license_view(&state, access.role, lu)?))
}

/// Changes a license. Absent fields stay; `{}` changes nothing and audits nothing.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/licenses/{license_id}", tag = "admin",
    request_body = LicensePatchBody, security(("bearer" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("license_id" = uuid::Uuid, Path)),
    responses((status = 200, body = LicenseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_license(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
    ApiJson(patch): ApiJson<LicensePatch>,
) -> ApiResult<Json<LicenseView>> {
    let id = ids
        .uuid("license_id")
        .ok_or_else(ApiError::license_not_found)?;
    let lu = state
        .store
        .update_license(access.tenant_id, id, &patch, &access.principal.actor)
        .await?
        .ok_or_else(ApiError::license_not_found)?;
    Ok(Json(license_view(&state, access.role, lu)?))
}
