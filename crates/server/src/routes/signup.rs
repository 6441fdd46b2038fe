//! Self-service sign-up (`CODITECT_SIGNUP=open`): a person creates an account and a tenant
//! they own. With a password, the account is made only once the mailed link proves the
//! address is theirs; with single sign-on, the provider has verified it. The request
//! always answers the same, so it tells nobody which addresses have accounts.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use coditect_domain::identity::slug_base;
use coditect_domain::input::{Name, Slug};
use coditect_domain::NewTenant;
use coditect_storage::{ConflictField, NewSignup, OneTime, StoreError};
use rand::Rng;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::crypto::{hash_password, new_secret, sha256_hex};
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::web_session::ClientAddr;
use crate::http::{ApiError, ApiResult};
use crate::identity::Identity;
use crate::mail;
use crate::openapi::schema as doc;
use crate::routes::auth::{new_password, one_time_token, parse_email, signed_in};
use crate::state::AppState;
use crate::views::ErrorBody;

/// How long a verification link works.
const LINK_LIFETIME: chrono::Duration = chrono::Duration::hours(24);
/// Tries at a free slug before giving up.
const SLUG_TRIES: usize = 4;

fn open_or_404(state: &AppState) -> ApiResult<()> {
    if state.config.identity.signup_open {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// A random slug suffix: six hex digits, so names need not be unique.
fn slug_suffix() -> String {
    format!("{:06x}", rand::rngs::OsRng.gen_range(0..0x100_0000u32))
}

/// A slug for a new tenant: the organisation's name and a random suffix.
fn new_slug(organisation: &str) -> ApiResult<Slug> {
    Slug::parse(&format!("{}-{}", slug_base(organisation), slug_suffix()))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// Body of a sign-up.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SignupBody {
    email: doc::Email,
    name: doc::Name,
    password: doc::NewPassword,
    /// The new tenant's name.
    organisation: doc::Name,
}

/// Body of a sign-up's verification.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SignupVerifyBody {
    /// The token from the verification mail's link.
    token: doc::OneTimeToken,
}

/// A parsed sign-up.
pub struct SignupInput {
    email: String,
    name: Name,
    password: String,
    organisation: Name,
}

impl JsonInput for SignupInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let email = f.required("email", parse_email);
        let name = f.required("name", Name::parse);
        let password = f.required("password", new_password);
        let organisation = f.required("organisation", Name::parse);
        f.finish(|| {
            Some(Self {
                email: email?,
                name: name?,
                password: password?,
                organisation: organisation?,
            })
        })
    }
}

/// Queues a verification mail (or, for an address with an account, a mail saying so).
/// Always `202`; at most 3 per address and 10 per client an hour are queued.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "dashboard",
    request_body = SignupBody,
    responses((status = 202, description = "{\"queued\": true}"),
        (status = 404, description = "not_found: sign-up is off", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(input): ApiJson<SignupInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    open_or_404(&state)?;
    let answer = (StatusCode::ACCEPTED, Json(json!({"queued": true})));
    if state
        .signup_requests
        .attempt(&input.email, &client)
        .is_err()
    {
        tracing::warn!("sign-up requests over the limit; not queuing");
        return Ok(answer);
    }
    let token = new_secret();
    let (subject, body) = mail::signup_text(&state, &token);
    let verify = mail::outbox_mail(&state, "signup", &input.email, subject, body)
        .map_err(ApiError::internal)?;
    let (subject, body) = mail::signup_exists_text(&state);
    let existing = mail::outbox_mail(&state, "signup_exists", &input.email, subject, body)
        .map_err(ApiError::internal)?;
    let password_hash = hash_password(input.password)
        .await
        .map_err(ApiError::internal)?;
    let s = NewSignup {
        token_hash: sha256_hex(token.as_bytes()),
        email: input.email,
        name: input.name.into_inner(),
        password_hash,
        organisation: input.organisation.into_inner(),
        ttl: LINK_LIFETIME,
    };
    state.store.create_signup(s, verify, existing).await?;
    state.mail_wake.notify_one();
    Ok(answer)
}

/// A parsed verification.
pub struct VerifyInput {
    token: String,
}

impl JsonInput for VerifyInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let token = f.required("token", one_time_token);
        f.finish(|| Some(Self { token: token? }))
    }
}

/// Uses the mailed link: makes the account and its tenant, and signs in. A client gets 20
/// tries with unknown or spent tokens per 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/signup/verify", tag = "dashboard",
    request_body = SignupVerifyBody,
    responses((status = 201, description = "Signed in; sets the session cookie", body = crate::views_accounts::SignedIn),
        (status = 404, description = "not_found: unknown token, or sign-up is off", body = ErrorBody),
        (status = 409, description = "conflict (field email): the address got an account meanwhile", body = ErrorBody),
        (status = 410, description = "token_expired: used or expired", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<VerifyInput>,
) -> ApiResult<Response> {
    open_or_404(&state)?;
    state
        .reset_confirms
        .attempt(&client, &client)
        .map_err(ApiError::sign_in_throttled)?;
    let hash = sha256_hex(input.token.as_bytes());
    let mut tries = 0;
    let user = loop {
        tries += 1;
        match state.store.complete_signup(&hash, &slug_suffix()).await {
            Ok(OneTime::Usable(u)) => break u,
            Ok(OneTime::Unknown) => return Err(ApiError::not_found()),
            Ok(OneTime::Spent) => return Err(ApiError::token_expired()),
            Err(StoreError::Conflict(ConflictField::Slug)) if tries < SLUG_TRIES => continue,
            Err(e) => return Err(e.into()),
        }
    };
    state.reset_confirms.succeed(&client, &client);
    tracing::info!(user_id = %user.id, "a sign-up was verified");
    let profile = state
        .store
        .user_profile(user.id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished right after sign-up"))?;
    signed_in(&state, &headers, StatusCode::CREATED, profile).await
}

/// Single sign-on's sign-up: with sign-up open, a verified identity with no account
/// gets one, owning a new tenant named after them. `None` when sign-up is off.
pub async fn sso_sign_up(state: &AppState, who: &Identity) -> ApiResult<Option<uuid::Uuid>> {
    if !state.config.identity.signup_open {
        return Ok(None);
    }
    let organisation: String = format!("{}'s organisation", who.name)
        .chars()
        .take(200)
        .collect();
    let name = Name::parse(&organisation).map_err(|e| ApiError::internal(e.to_string()))?;
    for _ in 0..SLUG_TRIES {
        let tenant = NewTenant {
            name: name.clone(),
            slug: new_slug(&who.name)?,
        };
        match state
            .store
            .sign_up_owner(&who.email, &who.name, tenant)
            .await
        {
            Ok(u) => {
                tracing::info!(user_id = %u.id, "signed up with single sign-on");
                return Ok(Some(u.id));
            }
            Err(StoreError::Conflict(ConflictField::Slug)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable("no free tenant slug"))
}
