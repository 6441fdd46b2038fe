//! Outgoing webhooks: the events a vendor's systems subscribe to, the endpoints they
//! register, their deliveries, and the retry schedule. No I/O: the store records events in
//! the transaction of the change they tell of, the server sends them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// The events of the contract, by wire name. Stored events carry the wire name; this list
/// is what a registration may subscribe to.
pub const EVENT_TYPES: [&str; 7] = [
    "license.created",
    "license.updated",
    "license.expiring",
    "license.expired",
    "seat.denied",
    "session.expired",
    "subscription.updated",
];

/// Whether `name` is one of [`EVENT_TYPES`].
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}

/// A registered receiver of events: a tenant's (its events only) or, without a tenant,
/// staff's (every tenant's). Its secret never leaves the store but sealed; the wire shape
/// omits it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    /// Endpoint id.
    pub id: Uuid,
    /// The tenant whose events it receives; `null` for a staff-wide endpoint.
    pub tenant_id: Option<Uuid>,
    /// Where deliveries are posted.
    pub url: String,
    /// What it is for, as its registrant wrote.
    pub description: Option<String>,
    /// The event types it receives.
    pub events: Vec<String>,
    /// Whether events are delivered to it (a disabled endpoint gets none made meanwhile).
    pub enabled: bool,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    /// Whether an event of `event_type` of `tenant_id` is delivered here: the one rule
    /// of fan-out, kept out of both backends.
    pub fn wants(&self, event_type: &str, tenant_id: Uuid) -> bool {
        self.enabled
            && self.tenant_id.is_none_or(|t| t == tenant_id)
            && self.events.iter().any(|e| e == event_type)
    }
}

/// An endpoint to register, already checked: the URL is allowed, the events known.
#[derive(Clone, Debug)]
pub struct NewWebhookEndpoint {
    /// Its tenant; `None` for staff-wide.
    pub tenant_id: Option<Uuid>,
    /// Checked URL.
    pub url: String,
    /// Free text.
    pub description: Option<String>,
    /// Known event types, distinct.
    pub events: Vec<String>,
    /// The signing secret, sealed by the server.
    pub secret_sealed: String,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct WebhookPatch {
    /// New checked URL.
    pub url: Option<String>,
    /// New event types.
    pub events: Option<Vec<String>>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// Turned on or off.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet answered with a 2xx; retried when due.
    Pending,
    /// A 2xx came back: never sent again but by `redeliver`.
    Delivered,
    /// Retries ran out.
    Failed,
}

impl DeliveryStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One event's delivery to one endpoint, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Delivery id (time-ordered: the log runs newest first).
    pub id: Uuid,
    /// The event's id, the `id` of the body sent.
    pub event_id: Uuid,
    /// The event's type.
    pub event: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// HTTP status of the last answer; `null` before one, or when none came.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed (no answer, a non-2xx), when it did.
    pub last_error: Option<String>,
    /// When it is next tried; `null` once delivered or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When a 2xx came back.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery claimed for an attempt, with what the sender needs.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// Delivery id.
    pub id: Uuid,
    /// Attempts before this one.
    pub attempts: i64,
    /// When the delivery was made: retries stop a give-up period after it.
    pub created_at: DateTime<Utc>,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's sealed secret.
    pub secret_sealed: String,
    /// The event.
    pub event: WebhookEvent,
}

/// An outgoing event, as stored: the body of every delivery of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// Event id (the audit entry's, the denial's, or its own).
    pub id: Uuid,
    /// Its type, one of [`EVENT_TYPES`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change it tells of was made.
    pub created_at: DateTime<Utc>,
    /// The tenant it belongs to.
    pub tenant_id: Uuid,
    /// What changed (the license or session after the change, or the event's own fields).
    pub data: Value,
}

/// When a failed attempt is tried again: doubling from `first` up to `cap`, until
/// `give_up_after` has passed since the delivery was made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetrySchedule {
    /// Wait after the first failure.
    pub first: Duration,
    /// Longest wait between attempts.
    pub cap: Duration,
    /// How long a delivery is retried at all.
    pub give_up_after: Duration,
}

impl RetrySchedule {
    /// The contract's: first retry within a minute, retried for at least 24 hours.
    pub const WEBHOOKS: RetrySchedule = RetrySchedule {
        first: Duration::seconds(30),
        cap: Duration::hours(6),
        give_up_after: Duration::hours(26),
    };

    /// The wait after the `attempts`-th failure (1-based) of a delivery made at
    /// `created_at`, or `None` when it is to be given up (the period is over).
    pub fn next_wait(
        &self,
        attempts: i64,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let doublings = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
        let wait = self
            .first
            .checked_mul(1 << doublings.min(20))
            .unwrap_or(self.cap)
            .min(self.cap);
        // The last attempt is made at the deadline itself, so retries last the whole period.
        // Whole microseconds: what both backends store (PostgreSQL's interval refuses
        // nanoseconds, and `now` has them).
        let deadline = created_at + self.give_up_after;
        (now < deadline).then(|| {
            let w = wait.min(deadline - now);
            Duration::microseconds(w.num_microseconds().unwrap_or(i64::MAX / 2).max(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_start_within_a_minute_and_last_at_least_a_day() {
        let s = RetrySchedule::WEBHOOKS;
        let made = Utc::now();
        let mut now = made;
        let mut attempts = 0;
        let first = s.next_wait(1, made, now).unwrap();
        assert!(first <= Duration::minutes(1));
        while let Some(w) = s.next_wait(attempts + 1, made, now) {
            attempts += 1;
            now += w;
        }
        assert!(
            now - made >= Duration::hours(24),
            "gave up after {:?}",
            now - made
        );
        assert!(attempts >= 10, "only {attempts} attempts");
        let odd = made + Duration::nanoseconds(26 * 3_600_000_000_000 - 1_234_567);
        let last = s.next_wait(20, made, odd).unwrap();
        assert_eq!(
            last.num_nanoseconds().unwrap() % 1000,
            0,
            "whole microseconds: {last:?}"
        );
    }

    #[test]
    fn an_endpoint_wants_its_tenants_subscribed_events_only() {
        let t = Uuid::now_v7();
        let mut e = WebhookEndpoint {
            id: Uuid::now_v7(),
            tenant_id: Some(t),
            url: "https://example.com/hook".into(),
            description: None,
            events: vec!["seat.denied".into()],
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(e.wants("seat.denied", t));
        assert!(!e.wants("license.created", t));
        assert!(!e.wants("seat.denied", Uuid::now_v7()));
        e.tenant_id = None;
        assert!(e.wants("seat.denied", Uuid::now_v7()));
        e.enabled = false;
        assert!(!e.wants("seat.denied", t));
    }
}
