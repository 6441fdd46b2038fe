//! The webhook sender of every server process: fans stored events out to the endpoints
//! that want them, claims due deliveries under a lease, posts each signed with Stripe's
//! scheme, and records the attempt (delivered on a 2xx, else retried with back-off until
//! the schedule gives up). Also records `license.expired` events as expiries pass.

use std::time::{Duration, Instant};

use chrono::Utc;
use coditect_domain::DueDelivery;
use coditect_storage::{fan_out_plan, Attempt};
use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use super::address::{guarded_client, literal_refusal};
use crate::crypto::webhook_signature;
use crate::state::AppState;

/// Events fanned out per store call.
const FAN_OUT_BATCH: u32 = 200;
/// Deliveries claimed per round.
const CLAIM_BATCH: u32 = 32;
/// Deliveries sent at once by one process.
const PARALLEL: usize = 8;
/// How often expiries are looked for, and how far back.
const EXPIRY_EVERY: Duration = Duration::from_secs(30);
const EXPIRY_LOOKBACK: chrono::Duration = chrono::Duration::days(1);

/// Runs until shutdown.
pub async fn sender(state: AppState, mut stop: watch::Receiver<bool>) {
    let client = guarded_client(state.config.webhooks.allow_http);
    let mut tick = tokio::time::interval(state.config.webhooks.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_expiry: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if last_expiry.is_none_or(|t| t.elapsed() >= EXPIRY_EVERY) {
            last_expiry = Some(Instant::now());
            record_expiries(&state).await;
        }
        fan_out(&state).await;
        while send_due(&state, &client).await == CLAIM_BATCH as usize {}
    }
}

/// Stores a `license.expired` event for each expiry of the last day not yet told.
pub async fn record_expiries(state: &AppState) {
    let since = Utc::now() - EXPIRY_LOOKBACK;
    let recorded = match state.store.expired_licenses(since).await {
        Ok(e) if e.is_empty() => Ok(0),
        Ok(e) => state.store.record_expired(&e).await,
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "cannot record license expiries");
    }
}

/// Turns every stored event into a delivery per endpoint that wants it.
pub async fn fan_out(state: &AppState) {
    loop {
        let events = match state.store.undispatched_events(FAN_OUT_BATCH).await {
            Ok(e) if e.is_empty() => return,
            Ok(e) => e,
            Err(e) => return tracing::warn!(error = %e, "cannot read the event ledger"),
        };
        let endpoints = match state.store.enabled_webhooks().await {
            Ok(e) => e,
            Err(e) => return tracing::warn!(error = %e, "cannot read webhook endpoints"),
        };
        let deliveries = fan_out_plan(&events, &endpoints);
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        if let Err(e) = state.store.fan_out(&deliveries, &ids).await {
            return tracing::warn!(error = %e, "cannot store webhook deliveries");
        }
        if events.len() < FAN_OUT_BATCH as usize {
            return;
        }
    }
}

/// One round: claims due deliveries and attempts each once. Returns how many it claimed.
pub async fn send_due(state: &AppState, client: &reqwest::Client) -> usize {
    let lease_id = Uuid::now_v7();
    let lease = chrono::Duration::from_std(state.config.webhooks.lease)
        .unwrap_or(chrono::Duration::minutes(1));
    let due = match state
        .store
        .claim_deliveries(lease_id, CLAIM_BATCH, lease)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim webhook deliveries");
            return 0;
        }
    };
    let n = due.len();
    futures::stream::iter(due)
        .map(|d| async move {
            let attempt = attempt(state, client, &d).await;
            let outcome = attempt.status();
            metrics::counter!("webhook_attempts_total", "outcome" => outcome).increment(1);
            match state.store.finish_delivery(d.id, lease_id, &attempt).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(delivery_id = %d.id, "a webhook lease ran out mid-attempt"),
                // The lease runs out and the delivery is tried again: at worst sent twice
                // when the database fails right after a 2xx, never lost.
                Err(e) => tracing::warn!(delivery_id = %d.id, error = %e, "cannot record a webhook attempt"),
            }
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<()>>()
        .await;
    n
}

/// Posts one delivery and says how it went.
async fn attempt(state: &AppState, client: &reqwest::Client, d: &DueDelivery) -> Attempt {
    let cfg = &state.config.webhooks;
    let failed = |status_code: Option<i64>, error: String| match cfg.retries.next_wait(
        d.attempts + 1,
        d.created_at,
        Utc::now(),
    ) {
        Some(wait) => Attempt::Retry {
            status_code,
            error,
            wait,
        },
        None => Attempt::GiveUp { status_code, error },
    };
    let secret = match state.sealer.open(&d.secret_sealed) {
        Ok(s) => s,
        Err(e) => {
            return Attempt::GiveUp {
                status_code: None,
                error: format!("cannot open the endpoint's secret: {e}"),
            }
        }
    };
    let url = match reqwest::Url::parse(&d.url) {
        Ok(u) => u,
        Err(e) => {
            return Attempt::GiveUp {
                status_code: None,
                error: format!("bad URL: {e}"),
            }
        }
    };
    if let Some(why) = literal_refusal(&url, cfg.allow_http) {
        return failed(None, format!("refused: {why}"));
    }
    let body = match serde_json::to_vec(&d.event) {
        Ok(b) => b,
        Err(e) => {
            return Attempt::GiveUp {
                status_code: None,
                error: format!("cannot encode the event: {e}"),
            }
        }
    };
    let signature = webhook_signature::sign(&secret, Utc::now().timestamp(), &body);
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("coditect-signature", signature)
        .header("coditect-event-id", d.event.id.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Attempt::Delivered {
            status_code: i64::from(r.status().as_u16()),
        },
        Ok(r) => {
            let status = r.status();
            failed(
                Some(i64::from(status.as_u16())),
                format!("answered HTTP {status}"),
            )
        }
        Err(e) => failed(None, e.without_url().to_string()),
    }
}
