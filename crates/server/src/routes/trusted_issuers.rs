//! A tenant's trusted issuers: identity platforms whose JWTs act as the tenant's tokens
//! (see `identity::trusted_jwt`). Registering one is an admin's act; the JWKS address is
//! checked against the outgoing-address rules when it is registered and at every fetch.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::{NewTrustedIssuer, Role, TrustedIssuer};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::{ApiJson, JsonInput, PathIds, TenantAccess};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::outgoing::address::{check_destination, parse_url, URL_MAX};
use crate::state::AppState;
use crate::views::ErrorBody;

/// A trusted issuer as the API shows it.
#[derive(serde::Serialize, ToSchema)]
pub struct TrustedIssuerView {
    /// The `{issuer_id}` that removes it, and `actor.id` of what its JWTs do.
    pub id: Uuid,
    /// The tenant its JWTs act on.
    pub tenant_id: Uuid,
    /// The JWTs' `iss`.
    pub issuer: String,
    /// Where its keys are published.
    pub jwks_url: String,
    /// The `aud` its JWTs carry for this server.
    pub audience: String,
    /// The claim whose value picks the role.
    pub role_claim: String,
    /// Claim value → `admin` or `read_only`; `*` for any other value or a missing claim.
    #[schema(value_type = Object)]
    pub roles: BTreeMap<String, Role>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

impl From<TrustedIssuer> for TrustedIssuerView {
    fn from(i: TrustedIssuer) -> Self {
        Self {
            id: i.id,
            tenant_id: i.tenant_id,
            issuer: i.issuer,
            jwks_url: i.jwks_url,
            audience: i.audience,
            role_claim: i.role_claim,
            roles: i.roles,
            created_at: i.created_at,
        }
    }
}

/// A tenant's trusted issuers.
#[derive(serde::Serialize, ToSchema)]
pub struct TrustedIssuerList {
    /// Oldest first.
    pub items: Vec<TrustedIssuerView>,
}

/// The longest `issuer` and `audience`, in characters (after trimming).
pub(crate) const ISSUER_MAX: usize = 512;
/// The longest `role_claim`, in characters (after trimming).
pub(crate) const ROLE_CLAIM_MAX: usize = 128;
/// How many claim values `roles` may map.
pub(crate) const ROLES_MAX: usize = 50;
/// The longest claim value in `roles`, in characters.
pub(crate) const ROLE_VALUE_MAX: usize = 200;

fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |s: &str| {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > max {
            return Err(format!("must be 1 to {max} characters"));
        }
        Ok(s.to_owned())
    }
}

fn parse_roles(obj: &Map<String, Value>) -> Result<BTreeMap<String, Role>, String> {
    if obj.is_empty() || obj.len() > ROLES_MAX {
        return Err(format!("must map 1 to {ROLES_MAX} claim values to roles"));
    }
    obj.iter()
        .map(|(k, v)| {
            if k.is_empty() || k.chars().count() > ROLE_VALUE_MAX {
                return Err(format!(
                    "claim values must be 1 to {ROLE_VALUE_MAX} characters"
                ));
            }
            match v.as_str().and_then(Role::parse) {
                Some(r @ (Role::Admin | Role::ReadOnly)) => Ok((k.clone(), r)),
                _ => Err(format!("{k:?} must map to \"admin\" or \"read_only\"")),
            }
        })
        .collect()
}

/// Body of a trusted issuer's registration.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TrustedIssuerBody {
    /// The JWTs' `iss`.
    issuer: doc::IssuerText,
    /// Where the issuer's keys are.
    jwks_url: doc::JwksUrl,
    /// The JWTs' `aud`.
    audience: doc::IssuerText,
    /// The claim whose value picks the role.
    role_claim: doc::RoleClaim,
    /// The claim's values and the role each grants.
    roles: doc::IssuerRoles,
}

/// A parsed registration (the JWKS address still to be resolved).
pub struct TrustedIssuerInput {
    issuer: String,
    jwks_url: String,
    audience: String,
    role_claim: String,
    roles: BTreeMap<String, Role>,
}

impl JsonInput for TrustedIssuerInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let issuer = f.required("issuer", text(ISSUER_MAX));
        let jwks_url = f.required("jwks_url", text(URL_MAX));
        let audience = f.required("audience", text(ISSUER_MAX));
        let role_claim = f.required("role_claim", text(ROLE_CLAIM_MAX));
        let roles = match f.object("roles") {
            Some(Some(m)) => match parse_roles(&m) {
                Ok(r) => Some(r),
                Err(e) => {
                    f.fail("roles", e);
                    None
                }
            },
            Some(None) => {
                f.fail("roles", "is required");
                None
            }
            None => None,
        };
        f.finish(|| {
            Some(Self {
                issuer: issuer?,
                jwks_url: jwks_url?,
                audience: audience?,
                role_claim: role_claim?,
                roles: roles?,
            })
        })
    }
}

/// The tenant's trusted issuers.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/trusted-issuers", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, body = TrustedIssuerList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess<true>,
) -> ApiResult<Json<TrustedIssuerList>> {
    let items = state.store.list_trusted_issuers(access.tenant_id).await?;
    Ok(Json(TrustedIssuerList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Trusts an issuer's JWTs as tokens of this tenant. The JWKS address must be
/// `https://` and may not resolve to a private, loopback or metadata address.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/trusted-issuers", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = Uuid, Path)),
    request_body = TrustedIssuerBody,
    responses((status = 201, body = TrustedIssuerView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "conflict (field issuer): this issuer and audience are trusted already", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: TenantAccess<true>,
    ApiJson(input): ApiJson<TrustedIssuerInput>,
) -> ApiResult<(StatusCode, Json<TrustedIssuerView>)> {
    let allow = state.config.identity.allow_http;
    let url = parse_url(&input.jwks_url, allow).map_err(|m| ApiError::field("jwks_url", &m))?;
    check_destination(&url, allow)
        .await
        .map_err(|m| ApiError::field("jwks_url", &m))?;
    let made = state
        .store
        .create_trusted_issuer(NewTrustedIssuer {
            tenant_id: access.tenant_id,
            issuer: input.issuer,
            jwks_url: url.to_string(),
            audience: input.audience,
            role_claim: input.role_claim,
            roles: input.roles,
        })
        .await?;
    tracing::info!(tenant_id = %access.tenant_id, issuer = %made.issuer, "a trusted issuer was registered");
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// Stops trusting an issuer.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/trusted-issuers/{issuer_id}", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = Uuid, Path), ("issuer_id" = Uuid, Path)),
    responses((status = 200, body = TrustedIssuerView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    access: TenantAccess<true>,
    ids: PathIds,
) -> ApiResult<Json<TrustedIssuerView>> {
    let id = ids.uuid("issuer_id").ok_or_else(ApiError::not_found)?;
    let gone = state
        .store
        .delete_trusted_issuer(access.tenant_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(gone.into()))
}
