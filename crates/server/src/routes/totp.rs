//! TOTP enrolment and management: a new secret for the authenticator app, its
//! confirmation with a first code (which turns TOTP on and hands out recovery codes once),
//! new recovery codes, and turning it off. Enrolment works with a dashboard session, or
//! with the challenge of a sign-in that requires enrolment first (staff who must use TOTP).

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::UserProfile;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::crypto::sha256_hex;
use crate::http::extract::{cookie_user, ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::web_session::{self, ClientAddr};
use crate::http::{ApiError, ApiResult};
use crate::identity::totp;
use crate::openapi::schema as doc;
use crate::routes::auth::{new_session, one_time_token};
use crate::routes::second_factor::{
    code_accepted, count_code_attempt, invalid_code, short_code, spend_code, unix_now,
};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::UserView;

/// Who enrols: the signed-in user, or the holder of an enrolment challenge.
async fn enrolling_user(
    state: &AppState,
    headers: &HeaderMap,
    challenge: Option<&str>,
) -> ApiResult<UserProfile> {
    if let Some(c) = challenge {
        let user_id = state
            .store
            .sign_in_challenge(&sha256_hex(c.as_bytes()), ChallengePurpose::Enrolment)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        return state
            .store
            .user_profile(user_id)
            .await?
            .ok_or_else(ApiError::unauthorized);
    }
    session_user(state, headers).await
}

/// The signed-in user of a cookie request that changes something (CSRF checked).
async fn session_user(state: &AppState, headers: &HeaderMap) -> ApiResult<UserProfile> {
    cookie_user(state, headers, &axum::http::Method::POST).await
}

/// Body of a TOTP enrolment's start.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TotpEnrolBody {
    /// `details.challenge` of an enrolment-required sign-in; absent with a session.
    #[schema(nullable = false)]
    challenge: Option<doc::OneTimeToken>,
}

/// Body of a TOTP enrolment's confirmation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TotpConfirmBody {
    /// A code from the app.
    code: doc::Code,
    /// `details.challenge` of an enrolment-required sign-in; absent with a session.
    #[schema(nullable = false)]
    challenge: Option<doc::OneTimeToken>,
}

/// Body of a change to a signed-in account's TOTP.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TotpCodeBody {
    /// A current code from the app.
    code: doc::Code,
}

/// An optional challenge and code.
pub struct EnrolInput {
    challenge: Option<String>,
    code: Option<String>,
}

impl JsonInput for EnrolInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let challenge = f.optional("challenge", false, one_time_token);
        let code = f.optional("code", false, short_code);
        f.finish(|| {
            Some(Self {
                challenge: challenge?,
                code: code?,
            })
        })
    }
}

/// A new TOTP secret for the authenticator app.
#[derive(serde::Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32, for typing into the app.
    pub secret: String,
    /// `otpauth://totp/…`, for the QR code.
    pub otpauth_uri: String,
}

/// Starts (or restarts) TOTP enrolment: a new secret, stored sealed and unconfirmed.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "dashboard",
    security((), ("cookie" = [])),
    request_body(content = TotpEnrolBody, description = "{} with a session, or {\"challenge\"} of an enrolment-required sign-in"),
    responses((status = 200, body = TotpSetup), (status = 401, body = ErrorBody),
        (status = 409, description = "conflict (field totp): TOTP is on already", body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EnrolInput>,
) -> ApiResult<Json<TotpSetup>> {
    let profile = enrolling_user(&state, &headers, input.challenge.as_deref()).await?;
    let secret = totp::new_secret();
    let sealed = state.sealer.seal(&secret).map_err(ApiError::internal)?;
    state.store.begin_totp(profile.user.id, &sealed).await?;
    let otpauth_uri =
        totp::otpauth_uri(&secret, &profile.user.email).map_err(ApiError::internal)?;
    Ok(Json(TotpSetup {
        secret,
        otpauth_uri,
    }))
}

/// New recovery codes, stored hashed; their hashes replace the old set.
fn fresh_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes = totp::new_recovery_codes();
    let hashes = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    (codes, hashes)
}

/// Confirms enrolment with a code from the app: TOTP is on, and the answer holds the
/// recovery codes (shown once). With an enrolment challenge it also signs in.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "dashboard",
    security((), ("cookie" = [])),
    request_body(content = TotpConfirmBody, description = "The code (+ the challenge without a session)"),
    responses((status = 200, description = "{\"recovery_codes\": [...], \"user\", \"csrf_token\"?}"),
        (status = 401, description = "invalid_second_factor", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EnrolInput>,
) -> ApiResult<Response> {
    let code = input
        .code
        .clone()
        .ok_or_else(|| ApiError::field("code", "is required"))?;
    let profile = enrolling_user(&state, &headers, input.challenge.as_deref()).await?;
    let user_id = profile.user.id;
    let key = count_code_attempt(&state, user_id, &client)?;
    let rec = state
        .store
        .totp(user_id)
        .await?
        .filter(|r| !r.confirmed)
        .ok_or_else(invalid_code)?;
    let secret = state
        .sealer
        .open(&rec.secret_sealed)
        .map_err(ApiError::internal)?;
    let step = totp::matching_step(&secret, &code, unix_now())
        .map_err(ApiError::internal)?
        .ok_or_else(invalid_code)?;
    let (codes, hashes) = fresh_recovery_codes();
    if !state.store.confirm_totp(user_id, step, &hashes).await? {
        return Err(invalid_code());
    }
    code_accepted(&state, &key, &client);
    tracing::info!(%user_id, "TOTP turned on");
    let profile = state
        .store
        .user_profile(user_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let mut body = json!({"recovery_codes": codes, "user": UserView::from(profile)});
    if let Some(c) = &input.challenge {
        if !state
            .store
            .spend_sign_in_challenge(&sha256_hex(c.as_bytes()))
            .await?
        {
            return Err(ApiError::unauthorized());
        }
        let (secret, cookie) = new_session(&state, &headers, user_id).await?;
        body["csrf_token"] = Value::String(web_session::csrf_token(&secret));
        return Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response());
    }
    Ok(Json(body).into_response())
}

/// A code, for changes to a signed-in account's TOTP.
pub struct CodeInput {
    code: String,
}

impl JsonInput for CodeInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let code = f.required("code", short_code);
        f.finish(|| Some(Self { code: code? }))
    }
}

/// A new set of recovery codes, after a current TOTP code; the old set stops working.
#[utoipa::path(post, path = "/api/v1/auth/totp/recovery-codes", tag = "dashboard",
    security(("cookie" = [])),
    request_body = TotpCodeBody,
    responses((status = 200, description = "{\"recovery_codes\": [...]}"),
        (status = 401, description = "invalid_second_factor", body = ErrorBody)))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CodeInput>,
) -> ApiResult<Json<Value>> {
    let profile = session_user(&state, &headers).await?;
    let key = count_code_attempt(&state, profile.user.id, &client)?;
    spend_code(&state, profile.user.id, &profile.user.email, &input.code).await?;
    code_accepted(&state, &key, &client);
    let (codes, hashes) = fresh_recovery_codes();
    state
        .store
        .replace_recovery_codes(profile.user.id, &hashes)
        .await?;
    Ok(Json(json!({"recovery_codes": codes})))
}

/// Turns TOTP off after a current code (not for staff while staff must use it).
#[utoipa::path(delete, path = "/api/v1/auth/totp", tag = "dashboard",
    security(("cookie" = [])),
    request_body = TotpCodeBody,
    responses((status = 200, description = "{\"totp_enabled\": false}"),
        (status = 401, description = "invalid_second_factor", body = ErrorBody),
        (status = 403, description = "forbidden: staff must use TOTP", body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CodeInput>,
) -> ApiResult<Json<Value>> {
    let profile = session_user(&state, &headers).await?;
    if profile.user.is_staff && state.config.identity.staff_require_totp {
        return Err(ApiError::forbidden().with_detail(
            "reason",
            Value::String("staff must use two-factor sign-in".into()),
        ));
    }
    let key = count_code_attempt(&state, profile.user.id, &client)?;
    spend_code(&state, profile.user.id, &profile.user.email, &input.code).await?;
    code_accepted(&state, &key, &client);
    state.store.disable_totp(profile.user.id).await?;
    tracing::info!(user_id = %profile.user.id, "TOTP turned off");
    Ok(Json(json!({"totp_enabled": false})))
}
