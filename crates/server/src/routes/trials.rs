//! `POST /api/v1/trials`: a self-service trial, no sign-in, rate limited per client IP.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coditect_domain::input::{Email, HardwareId, Name, Slug};
use coditect_domain::ErrorCode;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::billing::trials::{start_trial, TrialRefusal, TrialRequest};
use crate::http::client_ip::ClientIp;
use crate::http::extract::{ApiJson, JsonInput};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_billing::TrialView;

/// Body of a trial request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TrialBody {
    /// The product's slug.
    product: doc::Slug,
    /// Where the key is mailed; one trial per product per e-mail (case and surrounding
    /// spaces ignored).
    email: doc::Email,
    /// The installation asking; one trial per product per hardware id.
    hardware_id: Option<doc::HardwareId>,
    /// A name for the tenant made for a new e-mail.
    name: Option<doc::Name>,
}

/// A parsed trial request.
pub struct TrialInput {
    product: String,
    req: TrialRequest,
}

impl JsonInput for TrialInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let product = f.required("product", Slug::parse);
        let email = f.required("email", |s| Email::parse(s.trim()));
        let hw = f.optional("hardware_id", true, HardwareId::parse);
        let name = f.optional("name", true, Name::parse);
        f.finish(|| {
            Some(TrialInput {
                product: product?.as_str().to_owned(),
                req: TrialRequest {
                    email: email?.into_inner(),
                    hardware_id: hw?.map(HardwareId::into_inner),
                    name: name?.map(Name::into_inner),
                },
            })
        })
    }
}

/// Starts a trial of a product: a license of its `trial_seats` for its `trial_days`, the
/// key in the answer and mailed.
#[utoipa::path(post, path = "/api/v1/trials", tag = "billing", request_body = TrialBody,
    responses((status = 201, body = TrialView),
        (status = 404, description = "product_not_found: unknown slug, or the product offers no trials", body = ErrorBody),
        (status = 409, description = "trial_already_used: this e-mail or hardware id had one", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, description = "rate_limited per client IP", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<TrialInput>,
) -> ApiResult<(StatusCode, Json<TrialView>)> {
    state
        .limiter
        .check_trial(ip, state.config.billing.trials_per_ip_per_hour)
        .await?;
    let product = state
        .store
        .product_by_slug(&input.product)
        .await?
        .filter(|p| p.trial_days > 0)
        .ok_or_else(|| ApiError::new(ErrorCode::ProductNotFound))?;
    let trial = match start_trial(&state, &product, &input.req).await {
        Ok(t) => t,
        Err(TrialRefusal::AlreadyUsed) => return Err(ApiError::new(ErrorCode::TrialAlreadyUsed)),
        Err(TrialRefusal::Store(e)) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(TrialView {
            license_key: trial.key,
            license_id: trial.license.id,
            tenant_id: trial.license.tenant_id,
            expires_at: trial.expires_at,
            seats_total: trial.license.seats_total,
            product: product.slug,
        }),
    ))
}
