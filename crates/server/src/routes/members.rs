//! People of a tenant: members, invitations by mail and their acceptance, and the staff
//! list of every user. Admins manage admins and viewers; only owners (and superadmins,
//! staff and admin tokens) grant, change or remove the owner role.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use coditect_domain::input::Name;
use coditect_domain::{MemberRole, Role};
use coditect_storage::{InviteeAccount, OneTime};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::{hash_password, sha256_hex};
use crate::http::extract::{
    encode_cursor, ApiJson, JsonInput, ListQuery, PathIds, Superadmin, TenantAccess, TenantRead,
    TenantWrite,
};
use crate::http::fields::Fields;
use crate::http::web_session::ClientAddr;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::routes::auth::{
    any_password, check_credentials, new_password, one_time_token, parse_email,
};
use crate::routes::invitations::{self, IssuedInvitation};
use crate::routes::second_factor::after_password;
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::{MemberPage, MemberView, SignedIn, UserPage, UserView};

fn parse_role(s: &str) -> Result<MemberRole, String> {
    MemberRole::parse(s).ok_or_else(|| "must be owner, admin or viewer".to_owned())
}

/// Refuses an owner-level change to a caller who may not act as an owner (an admin
/// member; see [`TenantAccess::may_act_as_owner`]).
pub(crate) fn may_touch_owner(access: &TenantAccess<true>, involves_owner: bool) -> ApiResult<()> {
    if involves_owner && !access.may_act_as_owner() {
        return Err(ApiError::forbidden().with_detail(
            "reason",
            Value::String("only an owner may grant, change or remove the owner role".into()),
        ));
    }
    Ok(())
}

/// The tenant's members, by user id.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/users", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), PageParams),
    responses((status = 200, body = MemberPage), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    access: TenantRead,
    q: ListQuery,
) -> ApiResult<Json<MemberPage>> {
    let page = state.store.list_members(access.tenant_id, q.page).await?;
    Ok(Json(MemberPage::new(page.map(Into::into))))
}

/// Body of an invitation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InviteBody {
    email: doc::Email,
    role: doc::MemberRole,
}

/// A parsed invitation.
pub struct InviteInput {
    email: String,
    role: MemberRole,
}

impl JsonInput for InviteInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let email = f.required("email", parse_email);
        let role = f.required("role", parse_role);
        f.finish(|| {
            Some(Self {
                email: email?,
                role: role?,
            })
        })
    }
}

/// Invites a person by mail; the link (valid 7 days) lets them join with this role. A
/// live invitation of the tenant to the same address is replaced (its link stops
/// working). The answer carries the link once (`accept_url`), to pass on by hand.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/invitations", tag = "dashboard",
    request_body = InviteBody, security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 201, body = IssuedInvitation), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    access: TenantWrite,
    ApiJson(input): ApiJson<InviteInput>,
) -> ApiResult<(StatusCode, Json<IssuedInvitation>)> {
    may_touch_owner(&access, input.role == MemberRole::Owner)?;
    let issued = invitations::issue(&state, &access, input.email, input.role).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Body of a member change.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MemberPatchBody {
    role: doc::MemberRole,
}

/// A parsed member change.
pub struct MemberPatchInput {
    role: MemberRole,
}

impl JsonInput for MemberPatchInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let role = f.required("role", parse_role);
        f.finish(|| Some(Self { role: role? }))
    }
}

async fn current_member<const W: bool>(
    state: &AppState,
    access: &TenantAccess<W>,
    ids: &PathIds,
) -> ApiResult<coditect_domain::Member> {
    let user_id = ids.uuid("user_id").ok_or_else(ApiError::not_found)?;
    state
        .store
        .get_member(access.tenant_id, user_id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Changes a member's role. A tenant always keeps one owner (`409 conflict`).
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/users/{user_id}", tag = "dashboard",
    request_body = MemberPatchBody, security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path)),
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "conflict: last owner", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_member(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
    ApiJson(input): ApiJson<MemberPatchInput>,
) -> ApiResult<Json<MemberView>> {
    let current = current_member(&state, &access, &ids).await?;
    may_touch_owner(
        &access,
        current.role == MemberRole::Owner || input.role == MemberRole::Owner,
    )?;
    let m = state
        .store
        .update_member(
            access.tenant_id,
            current.id,
            input.role,
            &access.principal.actor,
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(m.into()))
}

/// Removes a member from the tenant (the account stays).
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/users/{user_id}", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The member removed", body = MemberView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: last owner", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<Json<MemberView>> {
    let current = current_member(&state, &access, &ids).await?;
    may_touch_owner(&access, current.role == MemberRole::Owner)?;
    let m = state
        .store
        .remove_member(access.tenant_id, current.id, &access.principal.actor)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(m.into()))
}

/// Every user with their memberships (staff and superadmin tokens).
#[utoipa::path(get, path = "/api/v1/users", tag = "dashboard", security(("bearer" = []), ("cookie" = [])),
    params(PageParams),
    responses((status = 200, body = UserPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    Superadmin(p): Superadmin,
    q: ListQuery,
) -> ApiResult<Json<UserPage>> {
    debug_assert_eq!(p.role, Role::Superadmin);
    let page = state.store.list_users(q.page).await?;
    Ok(Json(UserPage {
        next_cursor: encode_cursor(page.next_after),
        items: page.items.into_iter().map(UserView::from).collect(),
    }))
}

/// Body of an invitation acceptance.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AcceptBody {
    /// The token from the mail's link.
    token: doc::OneTimeToken,
    /// Display name for a new account (required when the e-mail has no account yet).
    name: Option<doc::Name>,
    /// A new password (10–200 characters), or the existing account's password.
    password: doc::Password,
}

/// A parsed acceptance.
pub struct AcceptInput {
    token: String,
    name: Option<Name>,
    password: String,
}

impl JsonInput for AcceptInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let token = f.required("token", one_time_token);
        let name = f.optional("name", true, Name::parse);
        let password = f.required("password", any_password);
        f.finish(|| {
            Some(Self {
                token: token?,
                name: name?,
                password: password?,
            })
        })
    }
}

/// Accepts an invitation: creates the account when the e-mail is new (else the password
/// must be the account's), joins the tenant, and signs in.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "dashboard", request_body = AcceptBody,
    responses((status = 200, description = "Signed in; sets the session cookie", body = SignedIn),
        (status = 401, description = "invalid_credentials: wrong password of the existing account", body = ErrorBody),
        (status = 404, description = "not_found: unknown token", body = ErrorBody),
        (status = 410, description = "token_expired: used or expired", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AcceptInput>,
) -> ApiResult<Response> {
    let token_hash = sha256_hex(input.token.as_bytes());
    let inv = match state.store.invitation(&token_hash).await? {
        OneTime::Unknown => return Err(ApiError::not_found()),
        OneTime::Spent => return Err(ApiError::token_expired()),
        OneTime::Usable(inv) => inv,
    };
    let exists = state.store.user_credentials(&inv.email).await?.is_some();
    let account = if exists {
        check_credentials(&state, &client, &inv.email, input.password).await?;
        InviteeAccount {
            name: String::new(),
            password_hash: None,
        }
    } else {
        let mut errors = Map::new();
        if input.name.is_none() {
            errors.insert("name".into(), "is required for a new account".into());
        }
        if let Err(e) = new_password(&input.password) {
            errors.insert("password".into(), e.into());
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        InviteeAccount {
            name: input.name.map(Name::into_inner).unwrap_or_default(),
            password_hash: Some(
                hash_password(input.password)
                    .await
                    .map_err(ApiError::internal)?,
            ),
        }
    };
    let user = match state.store.accept_invitation(&token_hash, account).await? {
        OneTime::Unknown => return Err(ApiError::not_found()),
        OneTime::Spent => return Err(ApiError::token_expired()),
        OneTime::Usable(u) => u,
    };
    let profile = state
        .store
        .user_profile(user.id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished after accepting"))?;
    after_password(&state, &headers, StatusCode::OK, profile).await
}
