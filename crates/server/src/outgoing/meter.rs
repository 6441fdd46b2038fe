//! Seat-hours of metered licenses, reported to Stripe as meter events. Each pass turns
//! the whole UTC hours since the cursor into one report per license and hour (queued in
//! the transaction that moves the cursor, so an hour is queued once however many
//! processes compute it), then sends due reports. The identifier
//! `<license_id>:<hour start unix>` makes a retry after a lost answer safe at Stripe.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use coditect_domain::metering::{hundredths_up, Granularity, UsageWindow};
use coditect_storage::{Attempt, DueMeterReport, NewMeterReport, StoreResult};
use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use crate::seat_hours::usage_rows;
use crate::state::AppState;

/// Reports claimed per round.
const CLAIM_BATCH: u32 = 50;
/// Hours computed per cursor move.
const HOURS_PER_STEP: i64 = 24;
/// How long a claimed report is hidden from other processes.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Runs until shutdown; does nothing without `CODITECT_STRIPE_API_KEY`.
pub async fn reporter(state: AppState, mut stop: watch::Receiver<bool>) {
    let Some(key) = state.config.meter.api_key.clone() else {
        tracing::info!("CODITECT_STRIPE_API_KEY is not set: seat-hours are not reported to Stripe");
        return;
    };
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("the Stripe client builds");
    let mut tick = tokio::time::interval(state.config.meter.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = queue_hours(&state).await {
            tracing::warn!(error = %e, "cannot queue seat-hour reports");
        }
        while send_due(&state, &client, &key).await == CLAIM_BATCH as usize {}
    }
}

/// Queues the reports of every whole, settled hour since the cursor. A first run starts
/// the cursor at the current hour: hours before metering was turned on are not billed.
pub async fn queue_hours(state: &AppState) -> StoreResult<()> {
    let now = state.store.now().await?;
    let settle = chrono::Duration::from_std(state.config.meter.settle).unwrap_or_default();
    let target = Granularity::Hour.floor(now - settle);
    loop {
        let Some(from) = state.store.meter_cursor().await? else {
            let start = Granularity::Hour.floor(now);
            state.store.queue_meter_reports(&[], None, start).await?;
            return Ok(());
        };
        if from >= target {
            return Ok(());
        }
        let to = (from + chrono::Duration::hours(HOURS_PER_STEP)).min(target);
        let reports = hour_reports(state, from, to, now).await?;
        let n = reports.len() as u64;
        if state
            .store
            .queue_meter_reports(&reports, Some(from), to)
            .await?
        {
            metrics::counter!("meter_reports_queued_total").increment(n);
            tracing::info!(%from, %to, reports = n, "queued seat-hour reports");
        }
    }
}

/// One report per metered license and hour of `[from, to)` with any seat use.
async fn hour_reports(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<NewMeterReport>> {
    let window = UsageWindow::new(from, to, Granularity::Hour)
        .map_err(|e| coditect_storage::StoreError::Internal(format!("meter window: {e:?}")))?;
    let mut by_tenant: BTreeMap<Uuid, HashMap<Uuid, String>> = BTreeMap::new();
    for m in state.store.metered_licenses().await? {
        by_tenant
            .entry(m.tenant_id)
            .or_default()
            .insert(m.license_id, m.customer_id);
    }
    let mut reports = Vec::new();
    for (tenant_id, licenses) in by_tenant {
        let rows = usage_rows(state.store.as_ref(), tenant_id, None, &window, now, |id| {
            licenses.contains_key(&id)
        })
        .await?;
        for row in rows {
            let value = hundredths_up(row.seat_micros);
            if value > 0 {
                reports.push(NewMeterReport {
                    license_id: row.license_id,
                    tenant_id,
                    hour_start: row.start,
                    customer_id: licenses[&row.license_id].clone(),
                    value_hundredths: value,
                });
            }
        }
    }
    Ok(reports)
}

/// One round: claims due reports and sends each once. Returns how many it claimed.
pub async fn send_due(state: &AppState, client: &reqwest::Client, key: &str) -> usize {
    let lease_id = Uuid::now_v7();
    let due = match state
        .store
        .claim_meter_reports(lease_id, CLAIM_BATCH, LEASE)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim seat-hour reports");
            return 0;
        }
    };
    let n = due.len();
    futures::stream::iter(due)
        .map(|d| async move {
            let attempt = send(state, client, key, &d).await;
            metrics::counter!("meter_report_attempts_total", "outcome" => attempt.status()).increment(1);
            let r = &d.report;
            if let Err(e) = state.store.finish_meter_report(r.license_id, r.hour_start, lease_id, &attempt).await {
                tracing::warn!(license_id = %r.license_id, error = %e, "cannot record a seat-hour report");
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<()>>()
        .await;
    n
}

/// The form Stripe's `POST /v1/billing/meter_events` takes for one report.
pub fn meter_event_form(event_name: &str, r: &NewMeterReport) -> Vec<(String, String)> {
    let hour = r.hour_start.timestamp();
    vec![
        ("event_name".into(), event_name.to_owned()),
        ("payload[stripe_customer_id]".into(), r.customer_id.clone()),
        (
            "payload[value]".into(),
            format!(
                "{}.{:02}",
                r.value_hundredths / 100,
                r.value_hundredths % 100
            ),
        ),
        ("timestamp".into(), hour.to_string()),
        ("identifier".into(), format!("{}:{hour}", r.license_id)),
    ]
}

/// Posts one report and says how it went: a 2xx, or Stripe saying the identifier is
/// taken (an earlier attempt got through, its answer lost), is delivered; anything else
/// is retried with back-off, so a wrong key or an outage delays reports and loses none.
async fn send(
    state: &AppState,
    client: &reqwest::Client,
    key: &str,
    d: &DueMeterReport,
) -> Attempt {
    let cfg = &state.config.meter;
    let url = format!(
        "{}/v1/billing/meter_events",
        cfg.api_base.trim_end_matches('/')
    );
    let form = meter_event_form(&cfg.event_name, &d.report);
    let sent = client.post(url).bearer_auth(key).form(&form).send().await;
    let (status_code, error) = match sent {
        Ok(r) if r.status().is_success() => {
            return Attempt::Delivered {
                status_code: i64::from(r.status().as_u16()),
            }
        }
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            if status.as_u16() == 400 && body.contains("identifier") && body.contains("already") {
                return Attempt::Delivered { status_code: 400 };
            }
            let message: String = body.chars().take(300).collect();
            (
                Some(i64::from(status.as_u16())),
                format!("Stripe answered HTTP {status}: {message}"),
            )
        }
        Err(e) => (None, e.without_url().to_string()),
    };
    match cfg
        .retries
        .next_wait(d.attempts + 1, d.created_at, Utc::now())
    {
        Some(wait) => Attempt::Retry {
            status_code,
            error,
            wait,
        },
        None => Attempt::GiveUp { status_code, error },
    }
}
