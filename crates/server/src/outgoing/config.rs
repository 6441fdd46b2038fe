//! Settings of the outgoing-event senders: webhooks and Stripe meter reports.

use std::time::Duration;

use coditect_domain::RetrySchedule;

/// How webhooks are sent.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// `CODITECT_WEBHOOKS_ALLOW_HTTP`: lets endpoints be `http://` on loopback (tests and
    /// local development); never in production, where a tenant admin could otherwise
    /// make the server call services on its own host.
    pub allow_http: bool,
    /// How often the outbox is looked at (new events, due retries).
    pub poll_interval: Duration,
    /// When failed deliveries are retried and for how long.
    pub retries: RetrySchedule,
    /// How long a claimed delivery is hidden from other processes: longer than one
    /// attempt can take (its 10 s timeout), so no two processes send it at once.
    pub lease: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_http: false,
            poll_interval: Duration::from_secs(1),
            retries: RetrySchedule::WEBHOOKS,
            lease: Duration::from_secs(60),
        }
    }
}

/// How seat-hours are reported to Stripe.
#[derive(Clone, Debug)]
pub struct MeterConfig {
    /// `CODITECT_STRIPE_API_BASE`: Stripe's API, or a stand-in of a test.
    pub api_base: String,
    /// `CODITECT_STRIPE_API_KEY`: without it nothing is reported (nor queued).
    pub api_key: Option<String>,
    /// `CODITECT_STRIPE_METER_EVENT`: the meter's event name.
    pub event_name: String,
    /// How often whole hours are looked for and due reports sent.
    pub interval: Duration,
    /// When failed reports are retried; Stripe takes events up to 35 days old.
    pub retries: RetrySchedule,
    /// How long after an hour ends it is reported: every session that began in it has
    /// committed by then.
    pub settle: Duration,
}

impl Default for MeterConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.stripe.com".into(),
            api_key: None,
            event_name: "seat_hours".into(),
            interval: Duration::from_secs(60),
            retries: RetrySchedule {
                first: chrono::Duration::seconds(10),
                cap: chrono::Duration::hours(1),
                give_up_after: chrono::Duration::days(34),
            },
            settle: Duration::from_secs(60),
        }
    }
}
