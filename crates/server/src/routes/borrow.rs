//! Borrowing a seat for offline use (a contract extension, docs/contract-extensions.md):
//! a session that holds its seat until the borrow's end without heartbeats, so a laptop
//! can leave the network and still prove its license with the token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coditect_domain::input::{Email, HardwareId, LicenseKeyInput, BORROW_HOURS_RANGE};
use coditect_domain::SeatResponse;
use coditect_storage::AcquireRequest;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::client::{client_field, granted, key_hash};
use crate::http::client_ip::ClientIp;
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::ApiResult;
use crate::openapi::schema as doc;
use crate::state::AppState;
use crate::views::ErrorBody;

/// Body of a borrow.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BorrowBody {
    license_key: doc::LicenseKey,
    hardware_id: doc::HardwareId,
    /// How long to borrow, at most the license's `max_borrow_hours`.
    hours: doc::BorrowHours,
    /// Who uses the seat.
    user_email: Option<doc::Email>,
    /// Client name and version, as strings.
    client: Option<doc::ClientInfo>,
}

/// A parsed borrow.
pub struct BorrowInput {
    key: LicenseKeyInput,
    hardware_id: HardwareId,
    hours: i64,
    user_email: Option<Email>,
    client: Option<Map<String, Value>>,
}

impl JsonInput for BorrowInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let key = f.required("license_key", LicenseKeyInput::parse);
        let hardware_id = f.required("hardware_id", HardwareId::parse);
        let hours = f.int("hours", true, BORROW_HOURS_RANGE);
        let user_email = f.optional("user_email", true, Email::parse);
        let client = client_field(&mut f);
        f.finish(|| {
            Some(Self {
                key: key?,
                hardware_id: hardware_id?,
                hours: hours??,
                user_email: user_email?,
                client: client?,
            })
        })
    }
}

/// Borrows a seat for offline use: the session is live until `now + hours` (never past
/// the license's expiry) without heartbeats, and its token's `exp` is that end. A
/// hardware id that already holds a live session turns it into the borrow (`200`).
/// Release returns the seat early.
#[utoipa::path(post, path = "/api/v1/licenses/borrow", tag = "client", request_body = BorrowBody,
    responses(
        (status = 201, description = "New borrowed seat", body = SeatResponse),
        (status = 200, description = "This hardware's live session, now borrowed", body = SeatResponse),
        (status = 403, description = "license_suspended, license_expired, or borrowing_disabled (max_borrow_hours is 0)", body = ErrorBody),
        (status = 404, description = "license_not_found", body = ErrorBody),
        (status = 409, description = "no_seats_available", body = ErrorBody),
        (status = 422, description = "validation_error; also `hours` over the license's max_borrow_hours (details.max_borrow_hours)", body = ErrorBody),
        (status = 429, description = "rate_limited (per license key or client IP), with Retry-After", body = ErrorBody)))]
pub async fn borrow(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<BorrowInput>,
) -> ApiResult<(StatusCode, Json<SeatResponse>)> {
    let hash = key_hash(&input.key);
    super::client::limit(&state, ip, &hash).await?;
    let req = AcquireRequest {
        key_hash: hash.clone(),
        hardware_id: input.hardware_id.into_inner(),
        user_email: input.user_email.map(Email::into_inner),
        client: input.client,
        waiter: None,
        borrow_hours: Some(input.hours),
    };
    let out = state.store.acquire(req).await?;
    metrics::counter!("license_borrows_total").increment(1);
    granted(&state, &input.key, &hash, &out).await
}
