//! Background work of every server process: the reaper and the signing-key refresh.
//! Several processes may run both at once; the store makes reaping idempotent.

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;

/// Sessions marked per reaper transaction; a large backlog is worked through in batches
/// so no single transaction holds the write lock for long (on SQLite a batch of 250 with
/// its audit entries takes a few milliseconds of the seat writer).
const REAP_BATCH: u32 = 250;

/// Marks expired sessions `expired` every `interval` until shutdown.
pub async fn reaper(state: AppState, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        reap_once(&state).await;
    }
}

/// One reaper pass: batches until nothing is due.
pub async fn reap_once(state: &AppState) -> u64 {
    let mut total = 0;
    loop {
        let started = tokio::time::Instant::now();
        match state.store.reap_expired(REAP_BATCH).await {
            Ok(n) => {
                total += n;
                if n < u64::from(REAP_BATCH) {
                    break;
                }
                // A backlog (a mass expiry) is worked through at no more than half the
                // writer's time, so seat operations keep their latency meanwhile. Dead
                // sessions hold no seat while they wait: liveness is `expires_at`.
                tokio::time::sleep(started.elapsed()).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reaper pass failed");
                metrics::counter!("reaper_errors_total").increment(1);
                break;
            }
        }
    }
    metrics::counter!("reaper_runs_total").increment(1);
    metrics::counter!("reaper_sessions_expired_total").increment(total);
    if total > 0 {
        tracing::info!(expired = total, "reaper marked sessions expired");
    }
    if let Ok(live) = state.store.count_live_sessions().await {
        metrics::gauge!("sessions_live").set(live as f64);
    }
    report_backlogs(state).await;
    total
}

/// The outboxes' backlogs as gauges, from every process on every reaper pass: reported
/// whether or not their senders run (a mail outbox filling up because no SMTP server is
/// configured is exactly what must show).
async fn report_backlogs(state: &AppState) {
    if let Ok(c) = state.store.outbox_counts().await {
        metrics::gauge!("mail_outbox_pending").set(c.pending as f64);
    }
    if let Ok(n) = state.store.pending_deliveries().await {
        metrics::gauge!("webhook_deliveries_pending").set(n as f64);
    }
    if let Ok(c) = state.store.meter_report_counts().await {
        metrics::gauge!("meter_reports_pending").set(c.pending as f64);
    }
}

/// Re-reads the signing key every `interval`, so a rotation anywhere reaches this process.
pub async fn key_refresh(state: AppState, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = state.keys.refresh().await {
            tracing::warn!(error = %e, "signing key refresh failed");
        }
    }
}

/// Records seats used every `usage_sample_interval` for analytics, and about once an
/// hour deletes usage history past its retention (and spent sessions, tokens and mails).
pub async fn usage_sampler(state: AppState, mut stop: watch::Receiver<bool>) {
    let interval = state.config.usage_sample_interval;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        sample_once(&state).await;
        if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_prune = Some(std::time::Instant::now());
            prune_once(&state).await;
        }
    }
}

/// One sampling pass: every license with activity in the last two intervals.
pub async fn sample_once(state: &AppState) -> u64 {
    let secs = state.config.sample_secs();
    match state
        .store
        .sample_usage(secs, chrono::Duration::seconds(secs * 2))
        .await
    {
        Ok(n) => {
            metrics::counter!("usage_samples_total").increment(n);
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "usage sampling failed");
            0
        }
    }
}

/// Deletes history older than the retention setting.
pub async fn prune_once(state: &AppState) {
    let days = i64::from(state.config.usage_retention_days);
    let before = chrono::Utc::now() - chrono::Duration::days(days);
    match state.store.prune_history(before).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned usage history and spent records"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning usage history failed"),
    }
}
