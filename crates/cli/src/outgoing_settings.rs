//! Settings of the outgoing events, from the environment: webhooks and Stripe meter
//! events.

use std::time::Duration;

use clap::Args;
use coditect_server::config::{MeterConfig, WebhookConfig};

/// `CODITECT_WEBHOOK_*`, `CODITECT_STRIPE_API_*` and `CODITECT_STRIPE_METER_EVENT`.
#[derive(Args, Clone)]
pub struct OutgoingSettings {
    /// Lets webhook endpoints be `http://` on loopback (tests and local development only).
    #[arg(long, env = "CODITECT_WEBHOOKS_ALLOW_HTTP", default_value_t = false,
        action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    webhooks_allow_http: bool,
    /// Milliseconds between looks at the webhook outbox.
    #[arg(long, env = "CODITECT_WEBHOOK_POLL_MS", default_value_t = 1000)]
    webhook_poll_ms: u64,
    /// Milliseconds before the first retry of a failed delivery (doubled per attempt, at
    /// most 6 hours apart).
    #[arg(
        long,
        env = "CODITECT_WEBHOOK_FIRST_RETRY_MS",
        default_value_t = 30_000
    )]
    webhook_first_retry_ms: u64,
    /// Seconds a delivery is retried before it is `failed` (at least a day by default).
    #[arg(
        long,
        env = "CODITECT_WEBHOOK_RETRY_FOR_SECONDS",
        default_value_t = 93_600
    )]
    webhook_retry_for_seconds: u64,
    /// Stripe's API, where meter events go.
    #[arg(
        long,
        env = "CODITECT_STRIPE_API_BASE",
        default_value = "https://api.stripe.com"
    )]
    stripe_api_base: String,
    /// Stripe secret key for meter events; unset: seat-hours are not reported.
    #[arg(long, env = "CODITECT_STRIPE_API_KEY", hide_env_values = true)]
    stripe_api_key: Option<String>,
    /// The event name of the Stripe meter seat-hours are reported to.
    #[arg(
        long,
        env = "CODITECT_STRIPE_METER_EVENT",
        default_value = "seat_hours"
    )]
    stripe_meter_event: String,
    /// Milliseconds between meter passes (whole hours looked for, due reports sent).
    #[arg(long, env = "CODITECT_METER_INTERVAL_MS", default_value_t = 60_000)]
    meter_interval_ms: u64,
    /// Milliseconds before the first retry of a report Stripe did not take.
    #[arg(long, env = "CODITECT_METER_FIRST_RETRY_MS", default_value_t = 10_000)]
    meter_first_retry_ms: u64,
}

fn millis(ms: u64) -> chrono::Duration {
    chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 2))
}

impl OutgoingSettings {
    /// The webhook sender's settings.
    pub fn webhooks(&self) -> anyhow::Result<WebhookConfig> {
        anyhow::ensure!(
            (10..=60_000).contains(&self.webhook_poll_ms),
            "CODITECT_WEBHOOK_POLL_MS must be 10 to 60000"
        );
        anyhow::ensure!(
            (1..=3_600_000).contains(&self.webhook_first_retry_ms),
            "CODITECT_WEBHOOK_FIRST_RETRY_MS must be 1 to 3600000"
        );
        let mut c = WebhookConfig {
            allow_http: self.webhooks_allow_http,
            poll_interval: Duration::from_millis(self.webhook_poll_ms),
            ..WebhookConfig::default()
        };
        c.retries.first = millis(self.webhook_first_retry_ms);
        c.retries.give_up_after =
            chrono::Duration::seconds(self.webhook_retry_for_seconds.min(90 * 86_400) as i64);
        Ok(c)
    }

    /// The meter reporter's settings.
    pub fn meter(&self) -> anyhow::Result<MeterConfig> {
        let base = self.stripe_api_base.trim_end_matches('/');
        anyhow::ensure!(
            base.starts_with("https://") || base.starts_with("http://"),
            "CODITECT_STRIPE_API_BASE must be an http(s) URL"
        );
        anyhow::ensure!(
            (10..=3_600_000).contains(&self.meter_interval_ms),
            "CODITECT_METER_INTERVAL_MS must be 10 to 3600000"
        );
        let mut c = MeterConfig {
            api_base: base.to_owned(),
            api_key: self.stripe_api_key.clone().filter(|k| !k.is_empty()),
            event_name: self.stripe_meter_event.clone(),
            interval: Duration::from_millis(self.meter_interval_ms),
            ..MeterConfig::default()
        };
        c.retries.first = millis(self.meter_first_retry_ms.max(1));
        Ok(c)
    }
}
