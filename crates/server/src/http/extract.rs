//! Extractors that refuse in the contract's error shape and in its order of precedence:
//! 413, then 401 (and `403 csrf_failed` for a cookie request without its CSRF token),
//! then tenant scope (404), then role (403), then 415, 400 and 422.
//! Handlers list them in that order; axum runs extractors left to right.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts, HeaderMap};
use base64::Engine;
use coditect_domain::{
    Actor, ActorType, MemberRole, PageRequest, Role, SessionStatus, UserProfile,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
pub use super::token_auth::is_superadmin_secret;
use super::web_session;
use crate::state::AppState;

/// The largest request body the contract accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

fn check_declared_length(headers: &HeaderMap) -> ApiResult<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > BODY_LIMIT as u64 => Err(ApiError::payload_too_large(BODY_LIMIT)),
        _ => Ok(()),
    }
}

/// A request body type that parses itself from a JSON object, field by field.
pub trait JsonInput: Sized {
    /// Parses the object or answers `422` naming each bad field.
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self>;
}

/// A JSON body, parsed into `T` with the contract's errors.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: JsonInput> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> ApiResult<Self> {
        check_declared_length(req.headers())?;
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let bytes = read_limited(req.into_body()).await?;
        if bytes.is_empty() {
            return Err(ApiError::invalid_json("the request body is empty"));
        }
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_json(format!("the body is not valid JSON: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(ApiError::invalid_json("the body must be a JSON object"));
        };
        T::parse(&obj).map(ApiJson)
    }
}

async fn read_limited(body: Body) -> ApiResult<axum::body::Bytes> {
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::payload_too_large(BODY_LIMIT))
        }
        Err(_) => Err(ApiError::invalid_json("the request body could not be read")),
    }
}

/// Who is calling an admin endpoint: a bearer token, or a person signed in to the
/// dashboard with the session cookie.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Its global role: `Superadmin` for superadmin tokens and staff users; a tenant
    /// token's role; `ReadOnly` for other users (their rights are per membership).
    pub role: Role,
    /// A tenant token's tenant; `None` for superadmins and users.
    pub tenant_id: Option<Uuid>,
    /// How the audit log names it.
    pub actor: Actor,
    /// The signed-in user, for cookie requests.
    pub user: Option<UserProfile>,
    /// For a token made by a member: that person, and their membership role now, which
    /// bounds what the token may do (owner rules included).
    pub on_behalf_of: Option<(Uuid, MemberRole)>,
    /// For a token made by a person (staff or member): that person, whose account the
    /// token lives by. Passed on to the tokens this one makes.
    pub made_by: Option<Uuid>,
}

impl Principal {
    /// What this caller may do on a tenant: its role there and, for a member, the
    /// membership role; `None` when the tenant is out of its scope.
    pub fn role_on(&self, tenant_id: Uuid) -> Option<(Role, Option<MemberRole>)> {
        if self.role == Role::Superadmin {
            return Some((Role::Superadmin, None));
        }
        if let Some(user) = &self.user {
            return user.role_in(tenant_id).map(|m| (m.token_role(), Some(m)));
        }
        (self.tenant_id == Some(tenant_id))
            .then_some((self.role, self.on_behalf_of.map(|(_, role)| role)))
    }

    /// The person a token made by this caller is bounded by: the signed-in user, or the
    /// person behind the token in use. Staff and operators' tokens are bounded by no one.
    pub fn token_creator(&self) -> Option<Uuid> {
        match &self.user {
            Some(u) if !u.user.is_staff => Some(u.user.id),
            Some(_) => None,
            None => self.on_behalf_of.map(|(id, _)| id),
        }
    }

    /// The person a token made by this caller lives by (stops while they are
    /// deactivated, or once a staff maker is no longer staff): the signed-in user, staff
    /// or not, or the maker of the token in use. `None` for the operator's tokens.
    pub fn token_maker(&self) -> Option<Uuid> {
        match &self.user {
            Some(u) => Some(u.user.id),
            None => self.made_by,
        }
    }

    fn from_user(profile: UserProfile) -> Self {
        Principal {
            role: if profile.user.is_staff {
                Role::Superadmin
            } else {
                Role::ReadOnly
            },
            tenant_id: None,
            actor: Actor {
                actor_type: ActorType::User,
                id: Some(profile.user.id),
                name: Some(profile.user.email.clone()),
            },
            user: Some(profile),
            on_behalf_of: None,
            made_by: None,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        check_declared_length(&parts.headers)?;
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return super::token_auth::token_principal(&parts.headers, state).await;
        }
        let profile = cookie_user(state, &parts.headers, &parts.method).await?;
        Ok(Principal::from_user(profile))
    }
}

/// The person signed in with the dashboard cookie: the session looked up (and counted
/// against the admin rate limit), and for a method that changes something, its CSRF token
/// checked. `401` without a live session, `403 csrf_failed` without the token.
pub async fn cookie_user(
    state: &AppState,
    headers: &HeaderMap,
    method: &axum::http::Method,
) -> ApiResult<UserProfile> {
    let secret = web_session::session_secret(headers).ok_or_else(ApiError::unauthorized)?;
    let session_hash = web_session::session_hash(&secret);
    state.limiter.check_admin(&session_hash).await?;
    let profile = state
        .store
        .web_session_user(&session_hash, web_session::IDLE_LIFETIME)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !web_session::is_safe_method(method) && !web_session::csrf_ok(headers, &secret) {
        return Err(ApiError::csrf_failed());
    }
    Ok(profile)
}

/// A superadmin, for superadmin-only endpoints (`403` for tenant tokens).
pub struct Superadmin(pub Principal);

impl FromRequestParts<AppState> for Superadmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let p = Principal::from_request_parts(parts, state).await?;
        if p.role != Role::Superadmin {
            return Err(ApiError::forbidden());
        }
        Ok(Superadmin(p))
    }
}

/// Raw path parameters; ids are parsed by the handler so a non-UUID is the right `404`.
pub struct PathIds(HashMap<String, String>);

impl PathIds {
    /// The parameter as a UUID, or `None` when it is not one.
    pub fn uuid(&self, name: &str) -> Option<Uuid> {
        self.0.get(name).and_then(|s| Uuid::parse_str(s).ok())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let Path(map) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        Ok(PathIds(map))
    }
}

/// Access to the tenant named in the path. `WRITE` requires a role that may write.
pub struct TenantAccess<const WRITE: bool> {
    /// The caller.
    pub principal: Principal,
    /// The tenant in scope.
    pub tenant_id: Uuid,
    /// The caller's role on this tenant (`Superadmin`, `Admin` or `ReadOnly`).
    pub role: Role,
    /// The caller's membership role, when it acts through a membership.
    pub member_role: Option<MemberRole>,
}

/// Read access to the path's tenant.
pub type TenantRead = TenantAccess<false>;
/// Write access to the path's tenant.
pub type TenantWrite = TenantAccess<true>;

impl<const WRITE: bool> FromRequestParts<AppState> for TenantAccess<WRITE> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let ids = PathIds::from_request_parts(parts, state).await?;
        let tenant_id = ids.uuid("tenant_id").ok_or_else(ApiError::not_found)?;
        let (role, member_role) = principal
            .role_on(tenant_id)
            .ok_or_else(ApiError::not_found)?;
        if role == Role::Superadmin {
            state
                .store
                .get_tenant(tenant_id)
                .await?
                .ok_or_else(ApiError::not_found)?;
        }
        if WRITE && role == Role::ReadOnly {
            return Err(ApiError::forbidden());
        }
        Ok(Self {
            principal,
            tenant_id,
            role,
            member_role,
        })
    }
}

impl<const WRITE: bool> TenantAccess<WRITE> {
    /// Whether the caller may make owner-level changes: an owner member, staff, a
    /// superadmin token, or a tenant admin token not bound to a member who is only an
    /// admin.
    pub fn may_act_as_owner(&self) -> bool {
        self.role == Role::Superadmin
            || matches!(self.member_role, Some(MemberRole::Owner))
            || (self.member_role.is_none() && self.role == Role::Admin)
    }
}

/// `?limit=&cursor=&status=` of a listing.
pub struct ListQuery {
    /// Which page.
    pub page: PageRequest,
    /// The session status filter, where a listing has one.
    pub status: Option<SessionStatus>,
}

/// Encodes a cursor: opaque to clients, the last id seen.
pub fn encode_cursor(id: Option<Uuid>) -> Option<String> {
    id.map(|u| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(u.as_bytes()))
}

/// `limit` and `cursor` of a listing's query, every listing's the same way; bad values
/// are added to `fields` (the 422's details).
pub fn parse_page(q: &HashMap<String, String>, fields: &mut Map<String, Value>) -> PageRequest {
    let mut page = PageRequest::default();
    if let Some(l) = q.get("limit") {
        match l.parse::<u32>() {
            Ok(n) if (1..=coditect_domain::page::MAX_LIMIT).contains(&n) => page.limit = n,
            _ => {
                fields.insert("limit".into(), "must be an integer from 1 to 200".into());
            }
        }
    }
    if let Some(c) = q.get("cursor").filter(|c| !c.is_empty()) {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| Uuid::from_slice(&b).ok());
        match id {
            Some(id) => page.after = Some(id),
            None => {
                fields.insert("cursor".into(), "is not a cursor this server issued".into());
            }
        }
    }
    page
}

/// The query string as name → value, or the contract's 422 for one that does not parse:
/// every query extractor starts here, so a malformed query reads the same everywhere.
pub fn query_map(uri: &axum::http::Uri) -> ApiResult<HashMap<String, String>> {
    axum::extract::Query::try_from_uri(uri)
        .map(|axum::extract::Query(q)| q)
        .map_err(|_| ApiError::field("query", "the query string is malformed"))
}

/// An optional RFC 3339 time parameter (absent or empty: `None`); a malformed one is
/// noted in `fields` for the 422.
pub fn time_param(
    q: &HashMap<String, String>,
    name: &str,
    fields: &mut Map<String, Value>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = q.get(name).filter(|s| !s.is_empty())?;
    let t = chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc));
    if t.is_err() {
        fields.insert(
            name.into(),
            "must be an RFC 3339 time such as 2026-11-25T16:00:00Z".into(),
        );
    }
    t.ok()
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = query_map(&parts.uri)?;
        let mut fields = Map::new();
        let page = parse_page(&q, &mut fields);
        let status = match q.get("status").map(String::as_str) {
            None | Some("") => None,
            Some(s) => {
                let st = SessionStatus::parse(s);
                if st.is_none() {
                    fields.insert(
                        "status".into(),
                        "must be active, released or expired".into(),
                    );
                }
                st
            }
        };
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        Ok(ListQuery { page, status })
    }
}
