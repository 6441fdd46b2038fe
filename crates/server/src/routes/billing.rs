//! Stripe's webhook and the staff's view of what it delivered. The webhook verifies the
//! signature over the raw body, stores the event, answers, and applies it (see
//! `crate::billing`): durable first, applied once.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::Json;
use coditect_domain::{
    BillingEventFilter, BillingEventStatus, ErrorCode, NewBillingEvent, StripeEvent,
};
use serde_json::{Map, Value};

use crate::billing::runner::apply_stored;
use crate::crypto::webhook_signature;
use crate::http::extract::{parse_page, Superadmin};
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_billing::{BillingEventPage, BillingEventView, WebhookReceivedView};

fn invalid_signature(why: impl std::fmt::Display) -> ApiError {
    tracing::warn!(reason = %why, "refused a Stripe webhook");
    metrics::counter!("billing_webhooks_refused_total").increment(1);
    ApiError::new(ErrorCode::InvalidSignature)
}

/// Receives a Stripe event. Answers 200 once the event is stored (or was already), then
/// applies it; an event type this server does not act on is stored and ignored.
#[utoipa::path(post, path = "/api/v1/billing/stripe/webhook", tag = "billing",
    request_body(content = Object, description = "Stripe's event JSON, exactly as Stripe sends it"),
    params(("Stripe-Signature" = String, Header, description = "t=<unix>,v1=<hex HMAC-SHA256>")),
    responses((status = 200, body = WebhookReceivedView),
        (status = 400, description = "invalid_signature (nothing stored), or invalid_json", body = ErrorBody),
        (status = 404, description = "not_found: CODITECT_STRIPE_WEBHOOK_SECRETS is not set", body = ErrorBody),
        (status = 422, description = "a signed event without id, type or created", body = ErrorBody)))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookReceivedView>> {
    let cfg = &state.config.billing;
    if cfg.stripe_webhook_secrets.is_empty() {
        return Err(ApiError::not_found());
    }
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid_signature("no Stripe-Signature header"))?;
    let now = chrono::Utc::now().timestamp();
    let tolerance = cfg.signature_tolerance.as_secs() as i64;
    webhook_signature::verify(header, &body, &cfg.stripe_webhook_secrets, now, tolerance)
        .map_err(invalid_signature)?;
    let payload: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_json(format!("the event is not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(ApiError::invalid_json("the event is not a JSON object"));
    }
    let (event, _) =
        StripeEvent::parse(&payload).map_err(|why: String| ApiError::field("event", &why))?;
    let new = NewBillingEvent {
        id: event.id.clone(),
        event_type: event.event_type.clone(),
        created: event.created,
        payload,
    };
    let stored = state.store.store_billing_event(&new).await?;
    metrics::counter!("billing_webhooks_received_total", "duplicate" => (!stored).to_string())
        .increment(1);
    // A duplicate of an event still pending (its first delivery's process died before
    // applying it) is applied now rather than at the next pass. A duplicate of one already
    // applied (Stripe's retries, concurrent deliveries) is answered from a read, without
    // taking the write transaction that a claim needs.
    let pending = stored
        || state
            .store
            .get_billing_event(&event.id)
            .await?
            .is_some_and(|e| e.status == BillingEventStatus::Pending);
    if pending {
        apply_stored(&state, &event.id).await;
    }
    Ok(Json(WebhookReceivedView {
        received: true,
        duplicate: !stored,
    }))
}

/// The longest `type` filter: a Stripe event type, visible ASCII only.
pub(crate) const EVENT_TYPE_MAX: usize = 255;

/// `?type=&status=` of the events listing.
fn event_filter(
    q: &HashMap<String, String>,
    fields: &mut Map<String, Value>,
) -> BillingEventFilter {
    let mut f = BillingEventFilter::default();
    if let Some(t) = q.get("type").filter(|t| !t.is_empty()) {
        if t.len() > EVENT_TYPE_MAX || !t.bytes().all(|b| b.is_ascii_graphic()) {
            fields.insert("type".into(), "must be a Stripe event type".into());
        } else {
            f.event_type = Some(t.clone());
        }
    }
    if let Some(s) = q.get("status").filter(|s| !s.is_empty()) {
        match BillingEventStatus::parse(s) {
            Some(s) => f.status = Some(s),
            None => {
                fields.insert(
                    "status".into(),
                    "must be pending, applied or ignored".into(),
                );
            }
        }
    }
    f
}

/// Stored Stripe events, newest first, with what each did.
#[utoipa::path(get, path = "/api/v1/billing/events", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(PageParams,
        ("type" = Option<doc::EventTypeFilter>, Query, description = "only this Stripe event type"),
        ("status" = Option<doc::BillingStatusFilter>, Query)),
    responses((status = 200, body = BillingEventPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    _: Superadmin,
    uri: Uri,
) -> ApiResult<Json<BillingEventPage>> {
    let q = crate::http::extract::query_map(&uri)?;
    let mut fields = Map::new();
    let page = parse_page(&q, &mut fields);
    let filter = event_filter(&q, &mut fields);
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    let events = state.store.list_billing_events(&filter, page).await?;
    Ok(Json(BillingEventPage::new(
        events.map(BillingEventView::from),
    )))
}
