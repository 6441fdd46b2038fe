//! License key reissue: a leaked or shared key is replaced without stopping the customer's
//! running machines. The old key admits no new seat from the moment of the reissue; the
//! seats it gave go on heartbeating (and can be released) with it until they end, through
//! [`under_current_key`].
//!
//! A retired key works only for the sessions that began before the reissue: a leaked key
//! cannot keep alive a seat taken with the new one, and its own seats end as they end
//! (released, expired, or force-released by an admin to evict a leaker at once).

use std::future::Future;

use axum::extract::State;
use axum::Json;
use coditect_storage::{NewLicenseKey, StoreError, StoreResult};
use uuid::Uuid;

use crate::crypto::{new_license_key, sha256_hex};
use crate::http::extract::{PathIds, TenantWrite};
use crate::http::{ApiError, ApiResult};
use crate::routes::licenses::license_view;
use crate::state::AppState;
use crate::views::{ErrorBody, LicenseView};

/// Gives the license a new random key, answered once here (admins can read it back later
/// like any key). Audited as `license.key_reissue`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/licenses/{license_id}/key", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("license_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The license with its new `license_key`; the old key admits no new seat, its live seats go on until they end", body = LicenseView),
        (status = 403, description = "forbidden (read-only token or viewer)", body = ErrorBody),
        (status = 404, description = "not_found or license_not_found", body = ErrorBody)))]
pub async fn reissue_key(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<Json<LicenseView>> {
    let id = ids
        .uuid("license_id")
        .ok_or_else(ApiError::license_not_found)?;
    let key = new_license_key();
    let new = NewLicenseKey {
        sealed: state.sealer.seal(&key).map_err(ApiError::internal)?,
        hash: sha256_hex(key.as_bytes()),
        hint: key[key.len() - 4..].to_owned(),
    };
    let lu = state
        .store
        .reissue_license_key(access.tenant_id, id, new, &access.principal.actor)
        .await?
        .ok_or_else(ApiError::license_not_found)?;
    Ok(Json(license_view(&state, access.role, lu)?))
}

/// Runs a seat operation that continues an existing seat (heartbeat, release) under the
/// presented key's hash; when the key is unknown because a reissue retired it, and the
/// session began before that reissue, runs it again under the license's current key. Acquire, borrow and validate never come here:
/// a retired key admits nothing new.
pub(crate) async fn under_current_key<T, F, Fut>(
    state: &AppState,
    hash: &str,
    session_id: Uuid,
    op: F,
) -> ApiResult<T>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    match op(hash.to_owned()).await {
        Err(e @ (StoreError::LicenseNotFound | StoreError::SessionNotFound)) => {
            match state.store.retired_license_key(hash, session_id).await? {
                Some(retired) => Ok(op(retired.current_key_hash).await?),
                None => Err(e.into()),
            }
        }
        other => Ok(other?),
    }
}
