//! Helpers of the dashboard's licenses page: the listing's filters, bulk suspend and
//! resume, and the CSV export.

use axum::extract::State;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::{ArchivedFilter, LicenseFilter, LicenseState, PageRequest};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::{ApiJson, JsonInput, TenantRead, TenantWrite};
use crate::http::{csv, ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::state::AppState;
use crate::views::ErrorBody;

/// Ids one bulk request may name.
pub(crate) const MAX_BULK: usize = 500;
/// The longest `q` of the license listing, in characters (after trimming).
pub(crate) const SEARCH_MAX: usize = 200;
/// The longest `subscription_id` filter: a Stripe id, visible ASCII only.
pub(crate) const SUBSCRIPTION_ID_MAX: usize = 255;

/// `?q=&state=&expires_before=&subscription_id=&product_id=` of the license listing.
pub struct LicenseFilterQuery(pub LicenseFilter);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LicenseFilterQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = crate::http::extract::query_map(&parts.uri)?;
        let mut errors = Map::new();
        let mut filter = LicenseFilter::default();
        if let Some(text) = q.get("q").map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if text.chars().count() > SEARCH_MAX {
                let msg = format!("must be at most {SEARCH_MAX} characters");
                errors.insert("q".into(), msg.into());
            } else if text.contains('\0') {
                // No stored text holds U+0000, and PostgreSQL refuses it in a pattern.
                errors.insert("q".into(), "must not contain U+0000".into());
            } else {
                // A pasted full key is found by its lookup hash: keys are never stored plain.
                filter.key_hash = coditect_domain::input::LicenseKeyInput::parse(text)
                    .ok()
                    .map(|k| super::client::key_hash(&k));
                filter.q = Some(text.to_owned());
            }
        }
        match q.get("state").map(String::as_str) {
            None | Some("") => {}
            Some("valid") => filter.state = Some(LicenseState::Valid),
            Some("suspended") => filter.state = Some(LicenseState::Suspended),
            Some("expired") => filter.state = Some(LicenseState::Expired),
            Some(_) => {
                errors.insert("state".into(), "must be valid, suspended or expired".into());
            }
        }
        if let Some(t) = q.get("expires_before").filter(|s| !s.is_empty()) {
            match DateTime::parse_from_rfc3339(t) {
                Ok(t) => filter.expires_before = Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errors.insert(
                        "expires_before".into(),
                        "must be an RFC 3339 time such as 2026-11-25T16:00:00Z".into(),
                    );
                }
            }
        }
        if let Some(s) = q.get("subscription_id").filter(|s| !s.is_empty()) {
            if s.len() > SUBSCRIPTION_ID_MAX || !s.bytes().all(|b| b.is_ascii_graphic()) {
                let msg = "must be a Stripe subscription id (sub_…)";
                errors.insert("subscription_id".into(), msg.into());
            } else {
                filter.subscription_id = Some(s.clone());
            }
        }
        if let Some(p) = q.get("product_id").filter(|s| !s.is_empty()) {
            match Uuid::parse_str(p) {
                Ok(id) => filter.product_id = Some(id),
                Err(_) => {
                    errors.insert("product_id".into(), "must be a product id (uuid)".into());
                }
            }
        }
        // The dashboard's listing leaves archived licenses out unless asked.
        filter.archived = match q.get("archived").map(String::as_str) {
            None | Some("") | Some("exclude") => ArchivedFilter::Exclude,
            Some("include") => ArchivedFilter::Any,
            Some("only") => ArchivedFilter::Only,
            Some(_) => {
                errors.insert("archived".into(), "must be exclude, include or only".into());
                ArchivedFilter::Exclude
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self(filter))
    }
}

/// Body of a bulk suspend or resume.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkBody {
    /// Ids of other tenants are ignored.
    ids: doc::BulkIds,
    /// `false` suspends, `true` resumes.
    is_active: bool,
}

/// A parsed bulk change.
pub struct BulkInput {
    ids: Vec<Uuid>,
    is_active: bool,
}

impl JsonInput for BulkInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut errors = Map::new();
        let ids = match obj.get("ids") {
            Some(Value::Array(a)) if (1..=MAX_BULK).contains(&a.len()) => {
                let parsed: Option<Vec<Uuid>> = a
                    .iter()
                    .map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
                    .collect();
                if parsed.is_none() {
                    errors.insert("ids".into(), "must be an array of UUID strings".into());
                }
                parsed
            }
            None => {
                errors.insert("ids".into(), "is required".into());
                None
            }
            Some(_) => {
                errors.insert(
                    "ids".into(),
                    format!("must be an array of 1 to {MAX_BULK} UUIDs").into(),
                );
                None
            }
        };
        let is_active = match obj.get("is_active") {
            Some(Value::Bool(b)) => Some(*b),
            None => {
                errors.insert("is_active".into(), "is required".into());
                None
            }
            Some(_) => {
                errors.insert("is_active".into(), "must be a boolean".into());
                None
            }
        };
        match (ids, is_active) {
            (Some(ids), Some(is_active)) if errors.is_empty() => Ok(Self { ids, is_active }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Suspends or resumes many licenses at once, one `license.update` audit entry per
/// license that changed.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/licenses/bulk", tag = "admin",
    request_body = BulkBody, security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "{\"updated\": n}: licenses that changed"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk_update(
    State(state): State<AppState>,
    access: TenantWrite,
    ApiJson(input): ApiJson<BulkInput>,
) -> ApiResult<Json<Value>> {
    let n = state
        .store
        .set_licenses_active(
            access.tenant_id,
            &input.ids,
            input.is_active,
            &access.principal.actor,
        )
        .await?;
    Ok(Json(json!({"updated": n})))
}

/// The columns of `licenses.csv`: the first eight as before (scripts read them by
/// position), then the license's state now, TTL, borrow limit, entitlements and metadata.
pub(crate) const LICENSES_CSV_HEADER: &str = "id,name,key_hint,seats_total,seats_used,expires_at,\
     is_active,created_at,state,heartbeat_ttl_seconds,max_borrow_hours,entitlements,metadata";

/// A license state as the listing's `state` filter names it.
fn state_name(s: LicenseState) -> &'static str {
    match s {
        LicenseState::Valid => "valid",
        LicenseState::Suspended => "suspended",
        LicenseState::Expired => "expired",
    }
}

/// Every license of the tenant as CSV (never the key), named after the tenant's slug.
/// Entitlements are joined with `;`, metadata is its JSON text.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/licenses.csv", tag = "admin",
    security(("bearer" = []), ("cookie" = [])), params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "text/csv, `licenses-<tenant slug>.csv`: id,name,key_hint,seats_total,seats_used,expires_at,is_active,created_at,state,heartbeat_ttl_seconds,max_borrow_hours,entitlements,metadata",
        content_type = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn export_csv(State(state): State<AppState>, access: TenantRead) -> ApiResult<Response> {
    let tenant = state
        .store
        .get_tenant(access.tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let now = state.store.now().await?;
    let mut out = format!("{LICENSES_CSV_HEADER}\r\n");
    let mut page = PageRequest {
        limit: coditect_domain::page::MAX_LIMIT,
        after: None,
    };
    let filter = LicenseFilter::default();
    loop {
        let p = state
            .store
            .list_licenses(access.tenant_id, &filter, page)
            .await?;
        for lu in &p.items {
            let l = &lu.license;
            let metadata = serde_json::to_string(&l.metadata).unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
                l.id,
                csv::field(l.name.as_deref().unwrap_or("")),
                csv::field(&l.key_hint),
                l.seats_total,
                lu.seats_used,
                l.expires_at.map(csv::time).unwrap_or_default(),
                l.is_active,
                csv::time(l.created_at),
                state_name(l.state(now)),
                l.heartbeat_ttl_seconds,
                l.max_borrow_hours,
                csv::field(&l.entitlements.join(";")),
                csv::field(&metadata),
            ));
        }
        match p.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    let filename = format!("licenses-{}.csv", tenant.slug);
    Ok(csv::download(&filename, out))
}
