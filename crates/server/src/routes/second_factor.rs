//! The second step of a password sign-in (TOTP enrolment is in `routes::totp`).
//!
//! A password that verifies does not always make a session: a member of a tenant that
//! requires SSO is refused (`403 sso_required`), an account with TOTP gets a challenge to
//! answer with a code (`401 second_factor_required`), and staff who must use TOTP but have
//! none get a challenge to enrol with (`401 second_factor_enrolment_required`). Every
//! password path (sign-in, password reset, invitation) goes through [`after_password`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::{ErrorCode, UserProfile};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::{new_secret, sha256_hex};
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::web_session::ClientAddr;
use crate::http::{ApiError, ApiResult};
use crate::identity::totp;
use crate::openapi::schema as doc;
use crate::routes::auth::{one_time_token, signed_in};
use crate::state::AppState;
use crate::views::ErrorBody;

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
pub(crate) fn count_code_attempt(
    state: &AppState,
    user_id: uuid::Uuid,
    client: &str,
) -> ApiResult<String> {
    let key = user_id.to_string();
    state
        .second_factor_failures
        .attempt(&key, client)
        .map_err(ApiError::sign_in_throttled)?;
    Ok(key)
}

pub(crate) fn code_accepted(state: &AppState, key: &str, client: &str) {
    state.second_factor_failures.succeed(key, client);
}

pub(crate) fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

pub(crate) fn invalid_code() -> ApiError {
    ApiError::new(ErrorCode::InvalidSecondFactor)
}

/// Checks a TOTP code of a user with TOTP on, and spends its time step.
pub(crate) async fn spend_code(
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
    challenge: doc::OneTimeToken,
    /// The 6-digit code; or `recovery_code` instead.
    #[schema(nullable = false)]
    code: Option<doc::Code>,
    /// One of the recovery codes.
    #[schema(nullable = false)]
    recovery_code: Option<doc::Code>,
}

/// A parsed second step.
pub struct SecondFactorInput {
    challenge: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// The longest TOTP or recovery code a body may carry, in bytes.
pub(crate) const SHORT_CODE_MAX: usize = 32;

/// A TOTP or recovery code as it arrives in a body.
pub(crate) fn short_code(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > SHORT_CODE_MAX {
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
