//! Staff administration of accounts: promote a user to staff and demote them, deactivate
//! and reactivate a user, clear a user's sign-in throttle, and read the account log that
//! records each of these. Staff users and superadmin tokens only. The rules (at least
//! one active staff account; what deactivation stops) are in `coditect_domain::staff`
//! and decided by the store.

use axum::extract::State;
use axum::Json;
use coditect_domain::staff::AccountAction;
use coditect_domain::{Actor, User};
use serde_json::{json, Value};

use crate::http::extract::{PathIds, Superadmin};
use crate::http::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::{AccountAuditList, UserView};

/// How many account-log entries the staff page reads.
const ACCOUNT_LOG_LENGTH: u32 = 100;

fn user_id(ids: &PathIds) -> ApiResult<uuid::Uuid> {
    ids.uuid("user_id").ok_or_else(ApiError::not_found)
}

/// The changed user with their memberships, as the users list shows them.
async fn view_of(state: &AppState, user: Option<User>) -> ApiResult<Json<UserView>> {
    let user = user.ok_or_else(ApiError::not_found)?;
    let profile = state
        .store
        .user_profile(user.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(UserView::from(profile)))
}

async fn set_staff(
    state: &AppState,
    ids: &PathIds,
    actor: &Actor,
    is_staff: bool,
) -> ApiResult<Json<UserView>> {
    let id = user_id(ids)?;
    let user = state.store.set_staff(id, is_staff, actor).await?;
    if let Some(u) = &user {
        tracing::info!(user_id = %u.id, is_staff, "staff rights changed");
    }
    view_of(state, user).await
}

async fn set_deactivated(
    state: &AppState,
    ids: &PathIds,
    actor: &Actor,
    deactivate: bool,
) -> ApiResult<Json<UserView>> {
    let id = user_id(ids)?;
    let user = state.store.set_deactivated(id, deactivate, actor).await?;
    if let Some(u) = &user {
        tracing::info!(user_id = %u.id, deactivate, "account activation changed");
    }
    view_of(state, user).await
}

/// Makes a user staff (superadmin on every tenant). Logged as `user.promote`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/promote", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, now staff", body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn promote(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<UserView>> {
    set_staff(&state, &ids, &p.actor, true).await
}

/// Takes a user's staff rights away. Logged as `user.demote`; refused for the last
/// active staff account.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/demote", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, no longer staff", body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict (field `staff`): the last active staff account", body = ErrorBody)))]
pub async fn demote(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<UserView>> {
    set_staff(&state, &ids, &p.actor, false).await
}

/// Deactivates a user: they can no longer sign in, their dashboard sessions end at
/// once and API tokens they created stop working. Logged as `user.deactivate`; refused
/// for the last active staff account.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/deactivate", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, deactivated", body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict (field `staff`): the last active staff account", body = ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<UserView>> {
    set_deactivated(&state, &ids, &p.actor, true).await
}

/// Reactivates a deactivated user: they may sign in again (ended sessions stay ended).
/// Logged as `user.reactivate`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reactivate", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, active", body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<UserView>> {
    set_deactivated(&state, &ids, &p.actor, false).await
}

/// Clears the sign-in throttle of a user's account: every address's failure count for
/// it and the account's ceiling (shared through Redis when configured). Logged as
/// `user.unlock_sign_in`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/unlock-sign-in", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "{\"unlocked\": true}"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, description = "unavailable: Redis did not answer; try again", body = ErrorBody)))]
pub async fn unlock_sign_in(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<Value>> {
    let id = user_id(&ids)?;
    let profile = state
        .store
        .user_profile(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !state.login_failures.unlock(&profile.user.email).await {
        return Err(ApiError::unavailable(
            "Redis did not answer; the sign-in throttle was not cleared",
        ));
    }
    state
        .store
        .log_account_action(id, AccountAction::UnlockSignIn, &p.actor)
        .await?;
    tracing::info!(user_id = %id, "sign-in throttle cleared by staff");
    Ok(Json(json!({"unlocked": true})))
}

/// The newest entries of the account log (promotions, demotions, deactivations,
/// reactivations and unlocks), newest first.
#[utoipa::path(get, path = "/api/v1/users/audit", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AccountAuditList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn account_audit(
    State(state): State<AppState>,
    Superadmin(_): Superadmin,
) -> ApiResult<Json<AccountAuditList>> {
    let items = state.store.recent_account_audit(ACCOUNT_LOG_LENGTH).await?;
    Ok(Json(AccountAuditList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}
