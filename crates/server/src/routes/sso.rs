//! Single sign-on: the provider list, the start that sends the browser to a provider, the
//! callback that signs the person in, and a tenant's rule that its members use SSO.
//!
//! The flow is kept in the database (`sso_flows`), not in the browser: `state` is stored
//! hashed together with the hash of a random secret in the starting browser's
//! `coditect_oidc` cookie, so a callback counts only in that browser, only once, within
//! ten minutes, and on any server process. Every failed check sends the browser to the
//! sign-in page with `?sso_error=<reason>` and signs nobody in.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coditect_domain::identity::{safe_return_path, DEFAULT_RETURN_TO};
use coditect_domain::SsoFailure;
use coditect_storage::{NewSsoFlow, StoreError};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::{new_secret, sha256_hex};
use crate::http::extract::{ApiJson, JsonInput, TenantAccess};
use crate::http::fields::Fields;
use crate::http::web_session;
use crate::http::{ApiError, ApiResult};
use crate::identity::Identity;
use crate::routes::auth::new_session;
use crate::state::AppState;
use crate::views::ErrorBody;

/// The cookie that binds a flow to the browser that started it.
const FLOW_COOKIE: &str = "coditect_oidc";
/// The path the flow cookie is sent to (start and callback only).
const FLOW_COOKIE_PATH: &str = "/api/v1/auth/oidc";
/// How long a sign-in at the provider may take.
const FLOW_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// Where failures are shown.
const SIGN_IN_PAGE: &str = "/dashboard/login";

fn flow_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let flags = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; HttpOnly; SameSite=Lax; Path={FLOW_COOKIE_PATH}; Max-Age={max_age}{flags}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn flow_secret(headers: &HeaderMap) -> Option<String> {
    web_session::secret_cookie(headers, FLOW_COOKIE)
}

fn redirect_uri(state: &AppState, provider_id: &str) -> String {
    format!(
        "{}/api/v1/auth/oidc/{provider_id}/callback",
        state.config.public_base()
    )
}

/// `302` to `location`, with these cookies set.
fn found(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        r.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Sends the browser back to the sign-in page with the reason, clearing the flow cookie.
fn failed(state: &AppState, headers: &HeaderMap, provider: &str, why: SsoFailure) -> Response {
    metrics::counter!("dashboard_sso_failures_total", "reason" => why.as_str()).increment(1);
    tracing::info!(
        provider,
        reason = why.as_str(),
        "a single sign-on signed nobody in"
    );
    let clear = flow_cookie("", 0, web_session::is_tls(state, headers));
    found(
        &format!("{SIGN_IN_PAGE}?sso_error={}", why.as_str()),
        &[clear],
    )
}

/// A configured provider as the sign-in page lists it.
#[derive(serde::Serialize, ToSchema)]
pub struct ProviderView {
    /// The `{id}` of the start path.
    pub id: String,
    /// What the button says.
    pub name: String,
}

/// The providers people may sign in with.
#[derive(serde::Serialize, ToSchema)]
pub struct ProviderList {
    /// In configuration order.
    pub items: Vec<ProviderView>,
}

/// The single sign-on providers, for the sign-in page's buttons (no authentication).
#[utoipa::path(get, path = "/api/v1/auth/providers", tag = "dashboard",
    responses((status = 200, body = ProviderList)))]
pub async fn providers(State(state): State<AppState>) -> Json<ProviderList> {
    let items = state
        .providers
        .all()
        .map(|p| ProviderView {
            id: p.config.id.clone(),
            name: p.config.name.clone(),
        })
        .collect();
    Json(ProviderList { items })
}

/// Sends the browser to the provider (authorization code flow with PKCE S256, `state`,
/// `nonce`) and binds the flow to it with the `coditect_oidc` cookie. `return_to` must be a
/// path on this server; anything else is ignored (`/dashboard/`).
#[utoipa::path(get, path = "/api/v1/auth/oidc/{id}/start", tag = "dashboard",
    params(("id" = String, Path, description = "The provider's configured id"),
        ("return_to" = Option<String>, Query, description = "A path on this server")),
    responses((status = 302, description = "To the provider; or to the sign-in page with `sso_error=sso_unavailable`"),
        (status = 404, description = "not_found: no such provider", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let provider = state.providers.get(&id).ok_or_else(ApiError::not_found)?;
    let return_to = q
        .get("return_to")
        .and_then(|r| safe_return_path(r))
        .unwrap_or(DEFAULT_RETURN_TO)
        .to_owned();
    let started = match provider.start(&redirect_uri(&state, &id)).await {
        Ok(s) => s,
        Err(why) => return Ok(failed(&state, &headers, &id, why)),
    };
    let browser = new_secret();
    state
        .store
        .create_sso_flow(NewSsoFlow {
            state_hash: sha256_hex(started.state.as_bytes()),
            browser_hash: sha256_hex(browser.as_bytes()),
            provider_id: id.clone(),
            nonce: started.nonce.unwrap_or_default(),
            verifier_sealed: state
                .sealer
                .seal(&started.verifier)
                .map_err(ApiError::internal)?,
            return_to,
            ttl: FLOW_LIFETIME,
        })
        .await?;
    let cookie = flow_cookie(
        &browser,
        FLOW_LIFETIME.num_seconds(),
        web_session::is_tls(&state, &headers),
    );
    Ok(found(&started.url, &[cookie]))
}

/// The person behind a verified identity: an existing user, or one made by accepting
/// their pending invitations. `None` when neither (sign-up is a separate path).
async fn account_of(state: &AppState, who: &Identity) -> ApiResult<Option<uuid::Uuid>> {
    if let Some(c) = state.store.user_credentials(&who.email).await? {
        return Ok(Some(c.user.id));
    }
    match state
        .store
        .accept_invitations_by_email(&who.email, &who.name)
        .await
    {
        Ok(Some(u)) => Ok(Some(u.id)),
        Ok(None) => crate::routes::signup::sso_sign_up(state, who).await,
        // Made by a racing request of the same person a moment ago.
        Err(StoreError::Conflict(_)) => Ok(state
            .store
            .user_credentials(&who.email)
            .await?
            .map(|c| c.user.id)),
        Err(e) => Err(e.into()),
    }
}

/// Finishes a sign-in: checks the flow (this browser, once, in time), exchanges the code
/// and verifies the id_token, links the verified e-mail to its account, and signs in with
/// the dashboard session cookie.
#[utoipa::path(get, path = "/api/v1/auth/oidc/{id}/callback", tag = "dashboard",
    params(("id" = String, Path, description = "The provider's configured id"),
        ("code" = Option<String>, Query, description = "From the provider"),
        ("state" = Option<String>, Query, description = "From the provider")),
    responses((status = 302, description = "Signed in (session cookie set), to `return_to`; or to `/dashboard/login?sso_error=<reason>` with nobody signed in"),
        (status = 404, description = "not_found: no such provider", body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let provider = state.providers.get(&id).ok_or_else(ApiError::not_found)?;
    let fail = |why| Ok(failed(&state, &headers, &id, why));
    let (Some(browser), Some(st)) = (flow_secret(&headers), q.get("state")) else {
        return fail(SsoFailure::StateMismatch);
    };
    let flow = state
        .store
        .spend_sso_flow(&sha256_hex(st.as_bytes()), &sha256_hex(browser.as_bytes()))
        .await?;
    let Some(flow) = flow.filter(|f| f.provider_id == id) else {
        return fail(SsoFailure::StateMismatch);
    };
    if q.contains_key("error") {
        return fail(SsoFailure::ProviderError);
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return fail(SsoFailure::ProviderError);
    };
    let verifier = state
        .sealer
        .open(&flow.verifier_sealed)
        .map_err(ApiError::internal)?;
    let nonce = Some(flow.nonce.as_str()).filter(|n| !n.is_empty());
    let who = match provider
        .finish(&redirect_uri(&state, &id), code, &verifier, nonce)
        .await
    {
        Ok(w) => w,
        Err(why) => return fail(why),
    };
    let Some(user_id) = account_of(&state, &who).await? else {
        return fail(SsoFailure::NoAccount);
    };
    // A deactivated account is refused with its reason (new_session would refuse it too,
    // but as an error page rather than the sign-in page's message).
    let profile = state.store.user_profile(user_id).await?;
    if profile.is_some_and(|p| p.user.deactivated_at.is_some()) {
        return fail(SsoFailure::AccountDeactivated);
    }
    let (_, session) = new_session(&state, &headers, user_id).await?;
    tracing::info!(provider = %id, %user_id, "signed in with single sign-on");
    metrics::counter!("dashboard_sso_sign_ins_total").increment(1);
    let clear = flow_cookie("", 0, web_session::is_tls(&state, &headers));
    Ok(found(&flow.return_to, &[session, clear]))
}

/// Whether a tenant's members must sign in with SSO.
#[derive(serde::Serialize, ToSchema)]
pub struct SsoSetting {
    /// While true, a member's password sign-in is `403 sso_required`.
    pub sso_required: bool,
}

/// Body of an SSO setting change.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SsoSettingBody {
    /// Whether members must sign in with single sign-on.
    sso_required: bool,
}

/// A parsed SSO setting.
pub struct SsoSettingInput {
    sso_required: bool,
}

impl JsonInput for SsoSettingInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let required = f.required_bool("sso_required");
        f.finish(|| {
            Some(Self {
                sso_required: required?,
            })
        })
    }
}

/// Whether the tenant requires single sign-on of its members.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/sso", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 200, body = SsoSetting), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_setting(
    State(state): State<AppState>,
    access: TenantAccess<false>,
) -> ApiResult<Json<SsoSetting>> {
    let t = state
        .store
        .get_tenant(access.tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(SsoSetting {
        sso_required: t.sso_required,
    }))
}

/// Turns the tenant's SSO requirement on or off (owners, staff and superadmin tokens);
/// audited as `tenant.update`.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant_id}/sso", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path)),
    request_body = SsoSettingBody,
    responses((status = 200, body = SsoSetting), (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden: not an owner", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_setting(
    State(state): State<AppState>,
    access: TenantAccess<true>,
    ApiJson(input): ApiJson<SsoSettingInput>,
) -> ApiResult<Json<SsoSetting>> {
    if !access.may_act_as_owner() {
        return Err(ApiError::forbidden());
    }
    let t = state
        .store
        .set_sso_required(
            access.tenant_id,
            input.sso_required,
            &access.principal.actor,
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(SsoSetting {
        sso_required: t.sso_required,
    }))
}
