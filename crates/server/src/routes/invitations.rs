//! A tenant's invitations after they are made: the list (pending, accepted, expired,
//! revoked, replaced), resending (a new link and mail; the old link stops working),
//! revoking, and the public lookup the acceptance page makes before the form is filled.
//! Only the hash of a link's token is stored, so the link itself is shown once: in the
//! answer to the invite or resend that made it.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::invitation::InvitationState;
use coditect_domain::{ErrorCode, MemberRole};
use coditect_storage::{InvitationRecord, NewInvitation};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crypto::{new_secret, sha256_hex};
use crate::http::extract::{
    encode_cursor, parse_page, query_map, ApiJson, JsonInput, PathIds, TenantAccess, TenantRead,
    TenantWrite,
};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::mail;
use crate::openapi::schema::{self as doc, PageParams};
use crate::routes::auth::one_time_token;
use crate::routes::members::may_touch_owner;
use crate::state::AppState;
use crate::views::ErrorBody;

/// How long an invitation link works.
const INVITATION_TTL: chrono::Duration = chrono::Duration::days(7);

/// An invitation just made (by an invite or a resend), with its link: shown this once,
/// since only the hash of its token is stored.
#[derive(Serialize, ToSchema)]
pub struct IssuedInvitation {
    /// Invitation id, as the `invitation.create` audit entry names it.
    pub id: Uuid,
    /// Address the invitation link was mailed to (lower-cased).
    pub email: String,
    /// Role granted on acceptance.
    pub role: String,
    /// The link stops working at this time.
    pub expires_at: DateTime<Utc>,
    /// The acceptance link, to copy and pass on by hand; never shown again.
    pub accept_url: String,
    /// Whether this server sends mail; `false`: the mail stays queued in the outbox and
    /// the invitee gets the link only if it is passed on.
    pub mail_configured: bool,
}

/// An invitation of a tenant's list.
#[derive(Serialize, ToSchema)]
pub struct InvitationItem {
    /// Invitation id.
    pub id: Uuid,
    /// Who is invited (lower-cased).
    pub email: String,
    /// Role granted on acceptance.
    pub role: String,
    /// `pending`, `accepted`, `expired`, `revoked` or `replaced` (by a newer invitation).
    pub state: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When its link stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was revoked or replaced.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<InvitationRecord> for InvitationItem {
    fn from(r: InvitationRecord) -> Self {
        Self {
            id: r.invitation.id,
            email: r.invitation.email,
            role: r.invitation.role.as_str().into(),
            state: r.state.as_str().into(),
            created_at: r.invitation.created_at,
            expires_at: r.invitation.expires_at,
            accepted_at: r.invitation.accepted_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A page of invitations, newest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationPage {
    /// Invitations, newest first.
    pub items: Vec<InvitationItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Makes an invitation to `email` as `role` (replacing a live one to the same address),
/// audits it and queues its mail; answers with the link, once.
pub async fn issue(
    state: &AppState,
    access: &TenantAccess<true>,
    email: String,
    role: MemberRole,
) -> ApiResult<IssuedInvitation> {
    let tenant = state
        .store
        .get_tenant(access.tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let token = new_secret();
    let inviter = access
        .principal
        .actor
        .name
        .clone()
        .unwrap_or_else(|| "An administrator".into());
    let (subject, body) =
        mail::invitation_text(state, &tenant.name, role.as_str(), &inviter, &token);
    let m = mail::outbox_mail(state, "invitation", &email, subject, body)
        .map_err(ApiError::internal)?;
    let inv = NewInvitation {
        tenant_id: access.tenant_id,
        email,
        role,
        token_hash: sha256_hex(token.as_bytes()),
        ttl: INVITATION_TTL,
    };
    let created = state
        .store
        .create_invitation(inv, m, &access.principal.actor)
        .await?;
    state.mail_wake.notify_one();
    Ok(IssuedInvitation {
        id: created.id,
        email: created.email,
        role: created.role.as_str().into(),
        expires_at: created.expires_at,
        accept_url: mail::invitation_link(state, &token),
        mail_configured: mail::configured(state),
    })
}

/// The `?state=` filter of the list.
fn state_filter(
    q: &std::collections::HashMap<String, String>,
    fields: &mut Map<String, Value>,
) -> Option<InvitationState> {
    let s = q.get("state").filter(|s| !s.is_empty())?;
    let parsed = InvitationState::parse(s);
    if parsed.is_none() {
        fields.insert(
            "state".into(),
            "must be pending, accepted, expired, revoked or replaced".into(),
        );
    }
    parsed
}

/// The tenant's invitations, newest first, optionally in one state.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/invitations", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path),
        ("state" = Option<crate::openapi::schema::InvitationStateFilter>, Query, description = "pending, accepted, expired, revoked or replaced"),
        PageParams),
    responses((status = 200, body = InvitationPage), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantRead,
    uri: Uri,
) -> ApiResult<Json<InvitationPage>> {
    let q = query_map(&uri)?;
    let mut fields = Map::new();
    let page = parse_page(&q, &mut fields);
    let filter = state_filter(&q, &mut fields);
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    let page = state
        .store
        .list_invitations(access.tenant_id, filter, page)
        .await?;
    Ok(Json(InvitationPage {
        next_cursor: encode_cursor(page.next_after),
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// The invitation named in the path, in the caller's tenant.
async fn invitation_of<const W: bool>(
    state: &AppState,
    access: &TenantAccess<W>,
    ids: &PathIds,
) -> ApiResult<InvitationRecord> {
    let id = ids.uuid("invitation_id").ok_or_else(ApiError::not_found)?;
    state
        .store
        .get_invitation(access.tenant_id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The `409 conflict` for an invitation in a state the action does not apply to.
fn wrong_state(why: &str, st: InvitationState) -> ApiError {
    ApiError::with_message(ErrorCode::Conflict, why)
        .with_detail("field", json!("state"))
        .with_detail("state", json!(st.as_str()))
}

/// Sends an invitation again: a new link and a new mail, and the old link stops working.
/// Not for an accepted invitation, nor one a newer invitation replaced (`409`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}/resend",
    tag = "dashboard", security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("invitation_id" = uuid::Uuid, Path)),
    responses((status = 201, body = IssuedInvitation), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: accepted or replaced already", body = ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<(StatusCode, Json<IssuedInvitation>)> {
    let rec = invitation_of(&state, &access, &ids).await?;
    may_touch_owner(&access, rec.invitation.role == MemberRole::Owner)?;
    match rec.state {
        InvitationState::Accepted => {
            return Err(wrong_state(
                "the invitation was accepted already",
                rec.state,
            ))
        }
        InvitationState::Replaced => {
            return Err(wrong_state(
                "a newer invitation replaced this one; resend that one",
                rec.state,
            ))
        }
        InvitationState::Pending | InvitationState::Expired | InvitationState::Revoked => {}
    }
    let issued = issue(&state, &access, rec.invitation.email, rec.invitation.role).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes a pending or expired invitation: its link stops working at once (audited as
/// `invitation.revoke`). `409` when it was accepted, revoked or replaced already.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}",
    tag = "dashboard", security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path), ("invitation_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The invitation, now revoked", body = InvitationItem),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: not live any more", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    access: TenantWrite,
    ids: PathIds,
) -> ApiResult<Json<InvitationItem>> {
    let rec = invitation_of(&state, &access, &ids).await?;
    may_touch_owner(&access, rec.invitation.role == MemberRole::Owner)?;
    let revoked = state
        .store
        .revoke_invitation(access.tenant_id, rec.invitation.id, &access.principal.actor)
        .await?;
    match revoked {
        Some(r) => Ok(Json(r.into())),
        None => {
            // Accepted, revoked or replaced meanwhile (or before): say which.
            let now = invitation_of(&state, &access, &ids).await?;
            Err(wrong_state(
                "the invitation is not live any more",
                now.state,
            ))
        }
    }
}

/// Body of a lookup.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LookupBody {
    /// The token from the mail's link.
    token: doc::OneTimeToken,
}

/// A parsed lookup.
pub struct LookupInput {
    token: String,
}

impl JsonInput for LookupInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let token = f.required("token", one_time_token);
        f.finish(|| Some(Self { token: token? }))
    }
}

/// What the holder of a link may learn about its invitation, and nothing more.
#[derive(Serialize, ToSchema)]
pub struct InvitationLookup {
    /// Name of the tenant to join.
    pub tenant_name: String,
    /// Role granted on acceptance.
    pub role: String,
    /// Address invited.
    pub email: String,
    /// `pending` (the link works), `accepted`, `expired`, `revoked` or `replaced`.
    pub state: String,
}

/// Says, for the holder of an invitation link, which tenant, role and address it is for
/// and whether it still works, before they fill the form. The token goes in the body so
/// that it stays out of access logs.
#[utoipa::path(post, path = "/api/v1/invitations/lookup", tag = "dashboard", request_body = LookupBody,
    responses((status = 200, body = InvitationLookup),
        (status = 404, description = "not_found: unknown token", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn lookup(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LookupInput>,
) -> ApiResult<Json<InvitationLookup>> {
    let hash = sha256_hex(input.token.as_bytes());
    let rec = state
        .store
        .lookup_invitation(&hash)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = state
        .store
        .get_tenant(rec.invitation.tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(InvitationLookup {
        tenant_name: tenant.name,
        role: rec.invitation.role.as_str().into(),
        email: rec.invitation.email,
        state: rec.state.as_str().into(),
    }))
}
