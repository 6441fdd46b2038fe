//! Client endpoints, authenticated by the license key itself: acquire, heartbeat,
//! release, validate.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::input::{Email, HardwareId, LicenseKeyInput, WAIT_SECONDS_RANGE};
use coditect_domain::{
    license_audience, Claims, License, ReleaseResponse, SeatResponse, Session, ValidateResponse,
};
use coditect_storage::{AcquireOutcome, AcquireRequest, HeartbeatOutcome, StoreError};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crypto::sha256_hex;
use crate::http::client_ip::ClientIp;
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::middleware::within_deadline;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::routes::license_keys::under_current_key;
use crate::state::AppState;
use crate::views::ErrorBody;

/// Body of an acquire.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AcquireBody {
    license_key: doc::LicenseKey,
    hardware_id: doc::HardwareId,
    /// Who uses the seat.
    user_email: Option<doc::Email>,
    /// Client name and version, as strings.
    client: Option<doc::ClientInfo>,
    /// Extension (docs/contract-extensions.md): when the license is full, wait up to this
    /// many seconds (default 0) for a seat, first come first served per license;
    /// `409` at the deadline.
    #[schema(nullable = false)]
    wait_seconds: Option<doc::WaitSeconds>,
}

/// A parsed acquire.
pub struct AcquireInput {
    pub(crate) key: LicenseKeyInput,
    pub(crate) hardware_id: HardwareId,
    pub(crate) user_email: Option<Email>,
    pub(crate) client: Option<Map<String, Value>>,
    wait_seconds: i64,
}

/// Parses the `client` object of an acquire or borrow.
pub(crate) fn client_field(f: &mut Fields) -> Option<Option<Map<String, Value>>> {
    match f.presence("client") {
        crate::http::fields::Presence::Null => Some(None),
        _ => f.object("client").map(|c| client_map(c, f)),
    }
}

/// The most entries of an acquire's or borrow's `client` object.
pub(crate) const CLIENT_ENTRIES_MAX: usize = 32;
/// Characters in a key of the `client` object.
pub(crate) const CLIENT_KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=64;
/// The longest value of the `client` object, in characters.
pub(crate) const CLIENT_VALUE_MAX: usize = 256;

fn client_map(v: Option<Map<String, Value>>, f: &mut Fields) -> Option<Map<String, Value>> {
    let m = v?;
    let ok = m.len() <= CLIENT_ENTRIES_MAX
        && m.iter().all(|(k, v)| {
            CLIENT_KEY_CHARS.contains(&k.chars().count())
                && !k.chars().any(char::is_control)
                && v.as_str().is_some_and(|s| {
                    s.chars().count() <= CLIENT_VALUE_MAX && !s.chars().any(char::is_control)
                })
        });
    if !ok {
        f.fail(
            "client",
            "must be an object of at most 32 strings of at most 256 characters, with keys \
             of 1 to 64 characters, and no control characters",
        );
        return None;
    }
    Some(m)
}

impl JsonInput for AcquireInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let key = f.required("license_key", LicenseKeyInput::parse);
        let hardware_id = f.required("hardware_id", HardwareId::parse);
        let user_email = f.optional("user_email", true, Email::parse);
        let client = client_field(&mut f);
        let wait_seconds = f.int("wait_seconds", false, WAIT_SECONDS_RANGE);
        f.finish(|| {
            Some(Self {
                key: key?,
                hardware_id: hardware_id?,
                user_email: user_email?,
                client: client?,
                wait_seconds: wait_seconds?.unwrap_or(0),
            })
        })
    }
}

/// Body of a heartbeat or release.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SessionBody {
    license_key: doc::LicenseKey,
    /// The session, a UUID.
    session_id: Uuid,
}

/// A parsed heartbeat or release.
pub struct SessionInput {
    key: LicenseKeyInput,
    session_id: Uuid,
}

impl JsonInput for SessionInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let key = f.required("license_key", LicenseKeyInput::parse);
        let session_id = f.required("session_id", |s| {
            Uuid::parse_str(s).map_err(|_| "must be a UUID".to_owned())
        });
        f.finish(|| {
            Some(Self {
                key: key?,
                session_id: session_id?,
            })
        })
    }
}

/// Body of a validate.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ValidateBody {
    license_key: doc::LicenseKey,
}

/// A parsed validate.
pub struct ValidateInput {
    key: LicenseKeyInput,
}

impl JsonInput for ValidateInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let key = f.required("license_key", LicenseKeyInput::parse);
        f.finish(|| Some(Self { key: key? }))
    }
}

/// What a seat body is made of, whichever store call (acquire, borrow or heartbeat)
/// granted or extended the seat: the one input of [`seat_response`].
pub(crate) struct HeldSeat<'a> {
    session: &'a Session,
    license: &'a License,
    seats_used: i64,
    now: DateTime<Utc>,
}

impl<'a> From<&'a AcquireOutcome> for HeldSeat<'a> {
    fn from(o: &'a AcquireOutcome) -> Self {
        Self {
            session: &o.session,
            license: &o.license,
            seats_used: o.seats_used,
            now: o.now,
        }
    }
}

impl<'a> From<&'a HeartbeatOutcome> for HeldSeat<'a> {
    fn from(o: &'a HeartbeatOutcome) -> Self {
        Self {
            session: &o.session,
            license: &o.license,
            seats_used: o.seats_used,
            now: o.now,
        }
    }
}

/// The seat body for a held seat, with a freshly signed token bound to `key`'s license
/// (`hash` is the key's lookup hash, which the handler already computed).
/// The one place acquire, borrow and heartbeat build their answer.
pub(crate) async fn seat_response<'a>(
    state: &AppState,
    key: &LicenseKeyInput,
    hash: &str,
    held: impl Into<HeldSeat<'a>>,
) -> ApiResult<SeatResponse> {
    let HeldSeat {
        session,
        license,
        seats_used,
        now,
    } = held.into();
    let claims = Claims {
        iss: state.config.issuer.clone(),
        sub: session.id.to_string(),
        tid: license.tenant_id.to_string(),
        lid: license.id.to_string(),
        kaud: license_audience(&key.normalized()),
        hwid: session.hardware_id.clone(),
        ent: license.entitlements.clone(),
        iat: now.timestamp(),
        exp: session.expires_at.timestamp(),
    };
    let token = state.keys.sign(&claims).await.map_err(ApiError::internal)?;
    state
        .limiter
        .learn_license(hash, license.seats_total, license.heartbeat_ttl_seconds);
    Ok(SeatResponse::new(session, license, seats_used, now, token))
}

/// The answer to an acquire or a borrow that got its seat: `201` for a new seat, `200`
/// for this hardware's live session, resumed.
pub(crate) async fn granted(
    state: &AppState,
    key: &LicenseKeyInput,
    hash: &str,
    out: &AcquireOutcome,
) -> ApiResult<(StatusCode, Json<SeatResponse>)> {
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(seat_response(state, key, hash, out).await?)))
}

/// Counts a client request against its key's limit (which follows the license) and its
/// address's; the license is read only for a key over the floor this process has not
/// seen answered yet.
pub(crate) async fn limit(state: &AppState, ip: std::net::IpAddr, hash: &str) -> ApiResult<()> {
    let license = || async {
        let found = state.store.find_license_by_key(hash).await.ok().flatten();
        found.map(|l| (l.license.seats_total, l.license.heartbeat_ttl_seconds))
    };
    state.limiter.check_client(ip, hash, license).await
}

/// The lookup hash of a presented license key.
pub(crate) fn key_hash(k: &LicenseKeyInput) -> String {
    sha256_hex(k.normalized().as_bytes())
}

/// Takes a seat, or resumes this hardware's live session. With `wait_seconds`, a full
/// license queues the request (first come first served per license, across all server
/// processes) and answers as soon as a seat is its, or `409` at the deadline. Free seats
/// go to queued acquires first: an acquire that finds others waiting is refused while
/// `seats_used + waiting >= seats_total` (`details.waiting`).
#[utoipa::path(post, path = "/api/v1/licenses/acquire", tag = "client", request_body = AcquireBody,
    responses(
        (status = 201, description = "New seat", body = SeatResponse),
        (status = 200, description = "This hardware's live session, refreshed", body = SeatResponse),
        (status = 403, description = "license_suspended or license_expired", body = ErrorBody),
        (status = 404, description = "license_not_found", body = ErrorBody),
        (status = 409, description = "no_seats_available (details: seats_total, seats_used, waiting); with wait_seconds, at the deadline", body = ErrorBody),
        (status = 422, description = "validation_error", body = ErrorBody),
        (status = 429, description = "rate_limited (per license key or client IP), with Retry-After", body = ErrorBody),
        (status = 503, description = "service_unavailable, also when the server shuts down during a wait", body = ErrorBody)))]
pub async fn acquire(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<AcquireInput>,
) -> ApiResult<(StatusCode, Json<SeatResponse>)> {
    let hash = key_hash(&input.key);
    limit(&state, ip, &hash).await?;
    let req = AcquireRequest {
        key_hash: hash.clone(),
        hardware_id: input.hardware_id.into_inner(),
        user_email: input.user_email.map(Email::into_inner),
        client: input.client,
        waiter: None,
        borrow_hours: None,
    };
    let wait = std::time::Duration::from_secs(input.wait_seconds.unsigned_abs());
    // The request timeout, plus the wait the client asked for (see `middleware::deadline`).
    let deadline = state.config.connections.request_timeout + wait;
    let result = within_deadline(deadline, async {
        if input.wait_seconds > 0 {
            state.waits.acquire(&state.store, req, wait).await
        } else {
            state.store.acquire(req).await.map_err(ApiError::from)
        }
    })
    .await
    .and_then(|r| r);
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            metrics::counter!("license_acquires_total", "outcome" => e.code.as_str()).increment(1);
            return Err(e);
        }
    };
    let outcome = if out.created { "granted" } else { "resumed" };
    metrics::counter!("license_acquires_total", "outcome" => outcome).increment(1);
    granted(&state, &input.key, &hash, &out).await
}

/// Keeps a session live for another TTL.
#[utoipa::path(post, path = "/api/v1/licenses/heartbeat", tag = "client", request_body = SessionBody,
    responses(
        (status = 200, description = "Session extended", body = SeatResponse),
        (status = 403, description = "license_suspended or license_expired", body = ErrorBody),
        (status = 404, description = "session_not_found", body = ErrorBody),
        (status = 410, description = "session_expired or session_released", body = ErrorBody),
        (status = 422, description = "validation_error", body = ErrorBody),
        (status = 429, description = "rate_limited (per license key or client IP), with Retry-After", body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<Json<SeatResponse>> {
    let hash = key_hash(&input.key);
    limit(&state, ip, &hash).await?;
    let (id, store) = (input.session_id, &state.store);
    let out = under_current_key(&state, &hash, id, |h| async move {
        store.heartbeat(&h, id).await
    })
    .await?;
    Ok(Json(seat_response(&state, &input.key, &hash, &out).await?))
}

/// Frees a seat at once. Idempotent; works whatever the license's state.
#[utoipa::path(post, path = "/api/v1/licenses/release", tag = "client", request_body = SessionBody,
    responses(
        (status = 200, description = "Released, or already over", body = ReleaseResponse),
        (status = 404, description = "session_not_found", body = ErrorBody),
        (status = 422, description = "validation_error", body = ErrorBody),
        (status = 429, description = "rate_limited (per license key or client IP), with Retry-After", body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<Json<ReleaseResponse>> {
    let hash = key_hash(&input.key);
    limit(&state, ip, &hash).await?;
    let (id, store) = (input.session_id, &state.store);
    let out = under_current_key(
        &state,
        &hash,
        id,
        |h| async move { store.release(&h, id).await },
    )
    .await?;
    if out.released {
        state.waits.seat_freed();
    }
    Ok(Json(ReleaseResponse {
        session_id: out.session_id,
        released: out.released,
        status: out.status.as_str().to_owned(),
        server_time: out.now,
    }))
}

/// Says whether a key names a usable license (existence, suspension, expiry; not seats).
#[utoipa::path(post, path = "/api/v1/licenses/validate", tag = "client", request_body = ValidateBody,
    responses(
        (status = 200, description = "Always, for a well-formed request", body = ValidateResponse),
        (status = 422, description = "validation_error", body = ErrorBody),
        (status = 429, description = "rate_limited (per license key or client IP), with Retry-After", body = ErrorBody)))]
pub async fn validate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ValidateInput>,
) -> ApiResult<Json<ValidateResponse>> {
    let hash = key_hash(&input.key);
    limit(&state, ip, &hash).await?;
    let found = state.store.find_license_by_key(&hash).await?;
    let Some(lu) = found else {
        let now = state
            .store
            .now()
            .await
            .map_err(|e: StoreError| ApiError::from(e))?;
        return Ok(Json(ValidateResponse::not_found(now)));
    };
    Ok(Json(ValidateResponse::found(
        lu.license,
        lu.seats_used,
        lu.now,
    )))
}
