//! Sign-in for the dashboard: first-run setup, sign-in and sign-out, the current user,
//! and password reset by mail. A successful sign-in sets the session cookie and answers
//! the user with the session's CSRF token.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coditect_domain::account::check_password;
use coditect_domain::input::{Email, Name};
use coditect_domain::UserProfile;
use coditect_storage::OneTime;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::crypto::{hash_password, new_secret, sha256_hex, verify_password};
use crate::http::extract::{is_superadmin_secret, ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::web_session::{self, ClientAddr};
use crate::http::{ApiError, ApiResult};
use crate::mail;
use crate::openapi::schema as doc;
use crate::routes::second_factor::after_password;
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::{SignedIn, UserView};

/// A lower-cased e-mail address.
pub fn parse_email(s: &str) -> Result<String, String> {
    Email::parse(s).map(|e| e.into_inner().to_lowercase())
}

/// The longest password a sign-in accepts, in characters.
pub(crate) const SIGN_IN_PASSWORD_MAX: usize = 1024;
/// The longest one-time token (reset, verification, invitation, challenge), in bytes.
pub(crate) const ONE_TIME_TOKEN_MAX: usize = 128;

/// A sign-in password: any text up to 1024 characters (length rules apply when one is set).
pub(crate) fn any_password(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().count() > SIGN_IN_PASSWORD_MAX {
        return Err(format!(
            "must be 1 to {SIGN_IN_PASSWORD_MAX} characters long"
        ));
    }
    Ok(s.to_owned())
}

/// A new password: 10–200 characters.
pub fn new_password(s: &str) -> Result<String, String> {
    check_password(s).map(|()| s.to_owned())
}

/// `403 forbidden` for signing in to a deactivated account.
pub(crate) fn account_deactivated() -> ApiError {
    ApiError::with_message(
        coditect_domain::ErrorCode::Forbidden,
        "this account is deactivated; ask a staff member to reactivate it",
    )
    .with_detail("reason", json!("account_deactivated"))
}

/// Stores a new dashboard session for a user: its secret and the `Set-Cookie` that
/// hands it to the browser; `403` when the account is deactivated.
pub async fn new_session(
    state: &AppState,
    headers: &HeaderMap,
    user_id: uuid::Uuid,
) -> ApiResult<(String, axum::http::HeaderValue)> {
    let secret = new_secret();
    let made = state
        .store
        .create_web_session(
            &web_session::session_hash(&secret),
            user_id,
            web_session::IDLE_LIFETIME,
            web_session::ABSOLUTE_LIFETIME,
        )
        .await?;
    // Every way of signing in (password, SSO, reset link, invitation, second factor)
    // ends here, so a deactivated account is refused here once for all of them.
    if !made {
        return Err(account_deactivated());
    }
    let cookie = web_session::set_cookie(&secret, web_session::is_tls(state, headers));
    Ok((secret, cookie))
}

/// Starts a dashboard session for a user and answers `{user, csrf_token}` with the cookie.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    profile: UserProfile,
) -> ApiResult<Response> {
    let (secret, cookie) = new_session(state, headers, profile.user.id).await?;
    let body = SignedIn {
        user: UserView::from(profile),
        csrf_token: web_session::csrf_token(&secret),
    };
    Ok((status, [(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn profile_of(state: &AppState, user_id: uuid::Uuid) -> ApiResult<UserProfile> {
    state
        .store
        .user_profile(user_id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished right after sign-in"))
}

/// Body of the first-run setup.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SetupBody {
    /// The superadmin token (`CODITECT_BOOTSTRAP_TOKEN` or the bootstrap-token file).
    bootstrap_token: doc::Password,
    email: doc::Email,
    name: doc::Name,
    password: doc::NewPassword,
}

/// A parsed setup.
pub struct SetupInput {
    bootstrap_token: String,
    email: String,
    name: Name,
    password: String,
}

impl JsonInput for SetupInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let bootstrap_token = f.required("bootstrap_token", any_password);
        let email = f.required("email", parse_email);
        let name = f.required("name", Name::parse);
        let password = f.required("password", new_password);
        f.finish(|| {
            Some(Self {
                bootstrap_token: bootstrap_token?,
                email: email?,
                name: name?,
                password: password?,
            })
        })
    }
}

/// Creates the first user, a staff user, and signs them in. Only while no user exists.
#[utoipa::path(post, path = "/api/v1/auth/setup", tag = "dashboard", request_body = SetupBody,
    responses((status = 201, description = "Signed in; sets the session cookie", body = SignedIn),
        (status = 401, description = "unauthorized: wrong bootstrap token", body = ErrorBody),
        (status = 409, description = "conflict: a user already exists", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SetupInput>,
) -> ApiResult<Response> {
    if !is_superadmin_secret(&state, &input.bootstrap_token).await? {
        return Err(ApiError::unauthorized());
    }
    if state.store.has_users().await? {
        return Err(
            coditect_storage::StoreError::Conflict(coditect_storage::ConflictField::User).into(),
        );
    }
    let hash = hash_password(input.password)
        .await
        .map_err(ApiError::internal)?;
    let user = state
        .store
        .create_first_user(&input.email, input.name.as_str(), &hash)
        .await?;
    tracing::info!(user_id = %user.id, "first-run setup created the first staff user");
    let profile = profile_of(&state, user.id).await?;
    after_password(&state, &headers, StatusCode::CREATED, profile).await
}

/// Whether first-run setup is still to be done, whether people may sign up, and whether
/// this server sends mail (`mail.configured`; `false`: mails stay queued in the outbox).
#[utoipa::path(get, path = "/api/v1/auth/status", tag = "dashboard",
    responses((status = 200, description = "{\"setup_required\": bool, \"signup\": \"open\"|\"off\", \"mail\": {\"configured\": bool}}")))]
pub async fn status(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let has = state.store.has_users().await?;
    let signup = if state.config.identity.signup_open {
        "open"
    } else {
        "off"
    };
    // Whether mail leaves this server, so pages say "queued, not sent" when it does not.
    let mail = json!({"configured": crate::mail::configured(&state)});
    Ok(Json(
        json!({"setup_required": !has, "signup": signup, "mail": mail}),
    ))
}

/// Body of a sign-in.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LoginBody {
    email: doc::Email,
    password: doc::Password,
}

/// A parsed sign-in.
pub struct LoginInput {
    email: String,
    password: String,
}

impl JsonInput for LoginInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let email = f.required("email", parse_email);
        let password = f.required("password", any_password);
        f.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

/// Checks a password against the account with this e-mail, throttled per (client,
/// account) pair, per client and per account (`http::sign_in_throttle`): `429` past a
/// limit, `401 invalid_credentials` on a wrong password, `403` for the right password of
/// a deactivated account.
pub async fn check_credentials(
    state: &AppState,
    client: &str,
    email: &str,
    password: String,
) -> ApiResult<Option<coditect_domain::User>> {
    // Counted before the password is checked, so parallel guesses meet the limit too.
    let attempt = state
        .login_failures
        .attempt(email, client)
        .await
        .map_err(ApiError::sign_in_throttled)?;
    let creds = state.store.user_credentials(email).await?;
    // An account made by single sign-on has no password: it is checked like a missing one.
    let hash = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .filter(|h| h != coditect_domain::identity::NO_PASSWORD);
    let ok = verify_password(password, hash)
        .await
        .map_err(ApiError::internal)?;
    if !ok {
        metrics::counter!("dashboard_sign_in_failures_total").increment(1);
        return Err(ApiError::invalid_credentials());
    }
    state.login_failures.succeed(attempt).await;
    let user = creds.map(|c| c.user);
    if user.as_ref().is_some_and(|u| u.deactivated_at.is_some()) {
        return Err(account_deactivated());
    }
    Ok(user)
}

/// Signs in with e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "dashboard", request_body = LoginBody,
    responses((status = 200, description = "Signed in; sets the session cookie", body = SignedIn),
        (status = 401, description = "invalid_credentials", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "rate_limited, with Retry-After", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Response> {
    let user = check_credentials(&state, &client, &input.email, input.password)
        .await?
        .ok_or_else(ApiError::invalid_credentials)?;
    let profile = profile_of(&state, user.id).await?;
    after_password(&state, &headers, StatusCode::OK, profile).await
}

/// Signs out: ends the session and clears the cookie. Without a valid session it only
/// clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "dashboard", security((), ("cookie" = [])),
    responses((status = 200, description = "{\"signed_out\": true}"),
        (status = 403, description = "csrf_failed", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(secret) = web_session::session_secret(&headers) {
        let hash = web_session::session_hash(&secret);
        let live = state
            .store
            .web_session_user(&hash, web_session::IDLE_LIFETIME)
            .await?;
        if live.is_some() {
            if !web_session::csrf_ok(&headers, &secret) {
                return Err(ApiError::csrf_failed());
            }
            state.store.delete_web_session(&hash).await?;
        }
    }
    let cookie = web_session::clear_cookie(web_session::is_tls(&state, &headers));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"signed_out": true})),
    )
        .into_response())
}

/// The signed-in user and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "dashboard", security(("cookie" = [])),
    responses((status = 200, body = SignedIn), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<SignedIn>> {
    let secret = web_session::session_secret(&headers).ok_or_else(ApiError::unauthorized)?;
    let profile = state
        .store
        .web_session_user(
            &web_session::session_hash(&secret),
            web_session::IDLE_LIFETIME,
        )
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(SignedIn {
        user: UserView::from(profile),
        csrf_token: web_session::csrf_token(&secret),
    }))
}

/// Body of a password-reset request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ResetRequestBody {
    email: doc::Email,
}

/// A parsed password-reset request.
pub struct ResetRequestInput {
    email: String,
}

impl JsonInput for ResetRequestInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let email = f.required("email", parse_email);
        f.finish(|| Some(Self { email: email? }))
    }
}

/// Queues a password-reset mail when the address has an account. Always `202`, so the
/// answer does not tell whether it has; at most 5 mails per address and 20 per client
/// per 15 minutes are queued.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "dashboard",
    request_body = ResetRequestBody,
    responses((status = 202, description = "{\"queued\": true}"), (status = 422, body = ErrorBody)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(input): ApiJson<ResetRequestInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let answer = (StatusCode::ACCEPTED, Json(json!({"queued": true})));
    if state.reset_requests.attempt(&input.email, &client).is_err() {
        tracing::warn!("password-reset requests over the limit; not queuing");
        return Ok(answer);
    }
    let token = new_secret();
    let (subject, body) = mail::reset_text(&state, &token);
    let m = mail::outbox_mail(&state, "password_reset", &input.email, subject, body)
        .map_err(ApiError::internal)?;
    let queued = state
        .store
        .create_password_reset(
            &input.email,
            &sha256_hex(token.as_bytes()),
            chrono::Duration::hours(1),
            m,
        )
        .await?;
    if queued {
        state.mail_wake.notify_one();
    }
    Ok(answer)
}

/// Body of a password-reset confirmation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ResetConfirmBody {
    /// The token from the mail's link.
    token: doc::OneTimeToken,
    password: doc::NewPassword,
}

/// A parsed reset confirmation.
pub struct ResetConfirmInput {
    token: String,
    password: String,
}

/// A one-time token as it arrives in a body.
pub fn one_time_token(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > ONE_TIME_TOKEN_MAX {
        return Err("must be the token from the mail's link".into());
    }
    Ok(s.to_owned())
}

impl JsonInput for ResetConfirmInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let token = f.required("token", one_time_token);
        let password = f.required("password", new_password);
        f.finish(|| {
            Some(Self {
                token: token?,
                password: password?,
            })
        })
    }
}

/// Sets a new password with a reset token, spends the user's other reset links, ends
/// every other session of the user, and signs in. The token is looked up before the new
/// password is hashed, and a client gets 20 tries with unknown or spent tokens per 15
/// minutes.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "dashboard",
    request_body = ResetConfirmBody,
    responses((status = 200, description = "Signed in; sets the session cookie", body = SignedIn),
        (status = 404, description = "not_found: unknown token", body = ErrorBody),
        (status = 410, description = "token_expired: used or expired", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "rate_limited, with Retry-After", body = ErrorBody)))]
pub async fn confirm_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ResetConfirmInput>,
) -> ApiResult<Response> {
    let token_hash = sha256_hex(input.token.as_bytes());
    state
        .reset_confirms
        .attempt(&client, &client)
        .map_err(ApiError::sign_in_throttled)?;
    match state.store.password_reset(&token_hash).await? {
        OneTime::Unknown => return Err(ApiError::not_found()),
        OneTime::Spent => return Err(ApiError::token_expired()),
        OneTime::Usable(()) => state.reset_confirms.succeed(&client, &client),
    }
    let hash = hash_password(input.password)
        .await
        .map_err(ApiError::internal)?;
    let user = match state.store.reset_password(&token_hash, &hash).await? {
        OneTime::Unknown => return Err(ApiError::not_found()),
        OneTime::Spent => return Err(ApiError::token_expired()),
        OneTime::Usable(u) => u,
    };
    let profile = profile_of(&state, user.id).await?;
    after_password(&state, &headers, StatusCode::OK, profile).await
}
