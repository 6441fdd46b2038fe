//! When stored events are applied: right after the webhook stored one, at start-up, and
//! by a background pass every `pass_interval` (which also sends expiry reminders), so an
//! event stored before a crash is applied after it.

use std::time::Duration;

use coditect_storage::StoreError;
use tokio::sync::watch;

use super::apply::{apply_event, Outcome};
use super::reminders::remind_once;
use crate::state::AppState;

/// Pending events applied per pass.
const PASS_BATCH: u32 = 200;

/// Applies a stored event, trying again after a lost race (two events making one
/// customer's tenant) or a database hiccup; a failure leaves it pending for the pass.
pub async fn apply_stored(state: &AppState, id: &str) -> Option<Outcome> {
    if state.config.billing.hold_events {
        return None;
    }
    for attempt in 0..5u32 {
        match apply_event(state, id).await {
            Ok(o) => {
                if let Some(o) = &o {
                    metrics::counter!("billing_events_total", "status" => o.status.as_str())
                        .increment(1);
                    tracing::info!(
                        event = id,
                        status = o.status.as_str(),
                        reason = o.reason.as_deref().unwrap_or(""),
                        "billing event"
                    );
                }
                return o;
            }
            Err(StoreError::Conflict(_) | StoreError::Unavailable(_)) if attempt < 4 => {
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
            Err(e) => {
                tracing::warn!(event = id, error = %e, "applying a billing event failed; it stays pending");
                return None;
            }
        }
    }
    None
}

/// Applies every pending event, oldest first; returns how many were applied or ignored.
pub async fn apply_pending(state: &AppState) -> u64 {
    if state.config.billing.hold_events {
        return 0;
    }
    let ids = match state.store.pending_billing_events(PASS_BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "listing pending billing events failed");
            return 0;
        }
    };
    let mut n = 0;
    for id in ids {
        if apply_stored(state, &id).await.is_some() {
            n += 1;
        }
    }
    n
}

/// The background pass: pending events, then reminders, at start and every interval.
pub async fn billing_pass(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(state.config.billing.pass_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let applied = apply_pending(&state).await;
        if applied > 0 {
            tracing::info!(applied, "applied billing events left pending");
        }
        remind_once(&state).await;
    }
}
