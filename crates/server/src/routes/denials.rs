//! Who was refused a seat: a tenant's denials (refused acquires, queued acquires whose wait
//! ran out), newest first, with the refused machine and e-mail. The counts in the usage
//! charts say *how often* a license was full; this says *who* hit it, which is the
//! vendor's upsell and the support desk's first question.

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Map;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::encode_cursor;
use crate::http::extract::{parse_page, query_map, TenantRead};
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::PageParams;
use crate::state::AppState;
use crate::views::{page_type, ErrorBody};

/// One refused acquire.
#[derive(Serialize, ToSchema)]
pub struct DenialView {
    /// Denial id (time-ordered).
    pub id: Uuid,
    /// The license that had no free seat.
    pub license_id: Uuid,
    /// The license's name now; `null` when it has none.
    pub license_name: Option<String>,
    /// When it was refused.
    pub at: DateTime<Utc>,
    /// The refused installation's hardware id; `null` for denials recorded before the
    /// server kept it.
    pub hardware_id: Option<String>,
    /// The e-mail the refused client sent; `null` when it sent none.
    pub user_email: Option<String>,
}

impl From<coditect_storage::Denial> for DenialView {
    fn from(d: coditect_storage::Denial) -> Self {
        Self {
            id: d.id,
            license_id: d.license_id,
            license_name: d.license_name,
            at: d.at,
            hardware_id: d.hardware_id,
            user_email: d.user_email,
        }
    }
}

page_type!(DenialPage, DenialView);

/// A tenant's denials, newest first; `license_id` narrows them to one license.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/denials", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), PageParams,
        ("license_id" = Option<crate::openapi::schema::UuidFilter>, Query, description = "only this license's denials")),
    responses((status = 200, body = DenialPage),
        (status = 404, description = "not_found, or license_not_found for a license_id not of the tenant", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_denials(
    State(state): State<AppState>,
    access: TenantRead,
    uri: Uri,
) -> ApiResult<Json<DenialPage>> {
    let q = query_map(&uri)?;
    let mut fields = Map::new();
    let page = parse_page(&q, &mut fields);
    let license_id = match q.get("license_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) => Some(id),
            Err(_) => {
                fields.insert("license_id".into(), "must be a license id (uuid)".into());
                None
            }
        },
    };
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    if let Some(id) = license_id {
        state
            .store
            .get_license(access.tenant_id, id)
            .await?
            .ok_or_else(ApiError::license_not_found)?;
    }
    let denials = state
        .store
        .list_denials(access.tenant_id, license_id, page)
        .await?;
    Ok(Json(DenialPage::new(denials.map(Into::into))))
}
