//! The second step of a password sign-in, and TOTP enrolment.
//!
//! A password that verifies does not always make a session: a member of a tenant that
//! requires SSO is refused (`403 sso_required`), an account with TOTP gets a challenge to
//! answer with a code (`401 second_factor_required`), and staff who must use TOTP but have
//! none get a challenge to enrol with (`401 second_factor_enrolment_required`). Every
//! password path (sign-in, password reset, invitation) goes through [`after_password`].

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::{ErrorCode, UserProfile};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::crypto::{new_secret, sha256_hex};
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::web_session::{self, ClientAddr};
use crate::http::{ApiError, ApiResult};
use crate::identity::totp;
use crate::routes::auth::{new_session, one_time_token, signed_in};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::UserView;

/// How long a challenge may be answered.
const CHALLENGE_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// Signs in after a verified password, or answers what is still needed (see the module
/// doc).
pub async fn after_password(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    profile: UserProfile,
) -> ApiResult<Response> {
    if profile.must_use_sso() {
        return Err(ApiError::new(ErrorCode::SsoRequired));
    }
    let purpose = if profile.user.totp_enabled {
        ChallengePurpose::SecondFactor
    } else if profile.user.is_staff && state.config.identity.staff_require_totp {
        ChallengePurpose::Enrolment
    } else {
        return signed_in(state, headers, status, profile).await;
    };
    let challenge = new_secret();
    state
        .store
        .create_sign_in_challenge(
            &sha256_hex(challenge.as_bytes()),
            profile.user.id,
            purpose,
            CHALLENGE_LIFETIME,
        )
        .await?;
    let code = match purpose {
        ChallengePurpose::SecondFactor => ErrorCode::SecondFactorRequired,
        ChallengePurpose::Enrolment => ErrorCode::SecondFactorEnrolmentRequired,
    };
    Err(ApiError::new(code).with_detail("challenge", Value::String(challenge)))
}

/// Counts one more code attempt of `user_id` from `client` (`429` past the limit); the
/// caller clears the count with [`code_accepted`] when the code is right.
fn count_code_attempt(state: &AppState, user_id: uuid::Uuid, client: &str) -> ApiResult<String> {
    let key = user_id.to_string();
    state
        .second_factor_failures
        .attempt(&key, client)
        .map_err(ApiError::sign_in_throttled)?;
    Ok(key)
}

fn code_accepted(state: &AppState, key: &str, client: &str) {
    state.second_factor_failures.succeed(key, client);
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

fn invalid_code() -> ApiError {
    ApiError::new(ErrorCode::InvalidSecondFactor)
}

/// Checks a TOTP code of a user with TOTP on, and spends its time step.
async fn spend_code(
    state: &AppState,
    user_id: uuid::Uuid,
    email: &str,
    code: &str,
) -> ApiResult<()> {
    let rec = state
        .store
        .totp(user_id)
        .await?
        .filter(|r| r.confirmed)
        .ok_or_else(invalid_code)?;
    let secret = state
        .sealer
        .open(&rec.secret_sealed)
        .map_err(ApiError::internal)?;
    let step = totp::matching_step(&secret, code, unix_now()).map_err(ApiError::internal)?;
    let Some(step) = step else {
        tracing::info!(user = %email, "a wrong TOTP code");
        return Err(invalid_code());
    };
    if !state.store.spend_totp_step(user_id, step).await? {
        tracing::warn!(user = %email, "a TOTP code was used a second time");
        return Err(invalid_code());
    }
    Ok(())
}

/// Body of the second step of a sign-in.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SecondFactorBody {
    /// `details.challenge` of the `second_factor_required` answer.
    challenge: String,
    /// The 6-digit code; or `recovery_code` instead.
    code: Option<String>,
    /// One of the recovery codes.
    recovery_code: Option<String>,
}

/// A parsed second step.
pub struct SecondFactorInput {
    challenge: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

fn short_code(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 32 {
        return Err("must be the code from the app (or a recovery code)".into());
    }
    Ok(s.to_owned())
}

impl JsonInput for SecondFactorInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let challenge = f.required("challenge", one_time_token);
        let code = f.optional("code", false, short_code);
        let recovery = f.optional("recovery_code", false, short_code);
        if !f.has("code") && !f.has("recovery_code") {
            f.fail("code", "is required (or recovery_code)");
        }
        f.finish(|| {
            Some(Self {
                challenge: challenge?,
                code: code?,
                recovery_code: recovery?,
            })
        })
    }
}

/// Finishes a password sign-in with a TOTP or recovery code. Wrong codes are counted per
/// user and per client (5 and 20 per 15 minutes, then `429`); a code's time step is
/// accepted once, and a recovery code once.
#[utoipa::path(post, path = "/api/v1/auth/login/second-factor", tag = "dashboard",
    request_body = SecondFactorBody,
    responses((status = 200, description = "Signed in; sets the session cookie", body = crate::views_accounts::SignedIn),
        (status = 401, description = "invalid_second_factor; unauthorized for an unknown or expired challenge", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "rate_limited, with Retry-After", body = ErrorBody)))]
pub async fn login_second_factor(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SecondFactorInput>,
) -> ApiResult<Response> {
    let hash = sha256_hex(input.challenge.as_bytes());
    let user_id = state
        .store
        .sign_in_challenge(&hash, ChallengePurpose::SecondFactor)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let key = count_code_attempt(&state, user_id, &client)?;
    let profile = state
        .store
        .user_profile(user_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    match (&input.code, &input.recovery_code) {
        (Some(code), _) => spend_code(&state, user_id, &profile.user.email, code).await?,
        (None, Some(rc)) => {
            let hash = totp::recovery_code_hash(rc);
            if !state.store.spend_recovery_code(user_id, &hash).await? {
                return Err(invalid_code());
            }
            tracing::info!(%user_id, "signed in with a recovery code");
        }
        (None, None) => return Err(invalid_code()),
    }
    if !state.store.spend_sign_in_challenge(&hash).await? {
        return Err(ApiError::unauthorized());
    }
    code_accepted(&state, &key, &client);
    signed_in(&state, &headers, StatusCode::OK, profile).await
}

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
    let secret = web_session::session_secret(headers).ok_or_else(ApiError::unauthorized)?;
    let profile = state
        .store
        .web_session_user(
            &web_session::session_hash(&secret),
            web_session::IDLE_LIFETIME,
        )
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !web_session::csrf_ok(headers, &secret) {
        return Err(ApiError::csrf_failed());
    }
    Ok(profile)
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
    security(("cookie" = [])),
    request_body(content = Object, description = "{} with a session, or {\"challenge\"} of an enrolment-required sign-in"),
    responses((status = 200, body = TotpSetup), (status = 401, body = ErrorBody),
        (status = 409, description = "conflict (field totp): TOTP is on already", body = ErrorBody)))]
pub async fn totp_setup(
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
    security(("cookie" = [])),
    request_body(content = Object, description = "{\"code\"} (+ \"challenge\" without a session)"),
    responses((status = 200, description = "{\"recovery_codes\": [...], \"user\", \"csrf_token\"?}"),
        (status = 401, description = "invalid_second_factor", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(
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
    request_body(content = Object, description = "{\"code\"}"),
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
    request_body(content = Object, description = "{\"code\"}"),
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
