//! Records of the outgoing-event outboxes: webhook deliveries and Stripe meter reports.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Whose webhooks an admin call reaches: one tenant's, or staff's (the endpoints without
/// a tenant, which receive every tenant's events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookScope {
    /// A tenant's endpoints.
    Tenant(Uuid),
    /// The staff-wide endpoints.
    Staff,
}

impl WebhookScope {
    /// The `tenant_id` column of the scope's endpoints.
    pub fn tenant_id(self) -> Option<Uuid> {
        match self {
            Self::Tenant(t) => Some(t),
            Self::Staff => None,
        }
    }
}

/// How one attempt of an outgoing delivery (a webhook, a meter report) ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// The receiver answered 2xx: done, never sent again.
    Delivered {
        /// Its status.
        status_code: i64,
    },
    /// Not delivered; tried again after `wait`.
    Retry {
        /// Its status, when it answered.
        status_code: Option<i64>,
        /// What went wrong.
        error: String,
        /// How long until the next attempt.
        wait: Duration,
    },
    /// Not delivered and never tried again.
    GiveUp {
        /// Its status, when it answered.
        status_code: Option<i64>,
        /// What went wrong.
        error: String,
    },
}

impl Attempt {
    /// The stored status after it.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Delivered { .. } => "delivered",
            Self::Retry { .. } => "pending",
            Self::GiveUp { .. } => "failed",
        }
    }
    /// The answer's status code, if one came.
    pub fn status_code(&self) -> Option<i64> {
        match self {
            Self::Delivered { status_code } => Some(*status_code),
            Self::Retry { status_code, .. } | Self::GiveUp { status_code, .. } => *status_code,
        }
    }
    /// The error, if it failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Delivered { .. } => None,
            Self::Retry { error, .. } | Self::GiveUp { error, .. } => Some(error),
        }
    }
    /// The wait before the next attempt (zero when there is none).
    pub fn wait(&self) -> Duration {
        match self {
            Self::Retry { wait, .. } => *wait,
            _ => Duration::zero(),
        }
    }
}

/// An event not yet fanned out to the endpoints that want it.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEvent {
    /// Event id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Its type.
    pub event_type: String,
}

/// The deliveries `events` make: one per event and enabled endpoint that wants it (the
/// domain's [`coditect_domain::WebhookEndpoint::wants`]).
pub fn fan_out_plan(
    events: &[PendingEvent],
    endpoints: &[coditect_domain::WebhookEndpoint],
) -> Vec<NewDelivery> {
    events
        .iter()
        .flat_map(|ev| {
            endpoints
                .iter()
                .filter(|ep| ep.wants(&ev.event_type, ev.tenant_id))
                .map(|ep| NewDelivery {
                    event_id: ev.id,
                    tenant_id: ev.tenant_id,
                    endpoint_id: ep.id,
                })
        })
        .collect()
}

/// A delivery to make: one event to one endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDelivery {
    /// The event.
    pub event_id: Uuid,
    /// The event's tenant.
    pub tenant_id: Uuid,
    /// The endpoint.
    pub endpoint_id: Uuid,
}

/// A license that expired, for its `license.expired` event.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpiredLicense {
    /// The license.
    pub license_id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// When it expired.
    pub expires_at: DateTime<Utc>,
}

/// A license whose seat-hours are reported to Stripe: its product is metered and its
/// tenant is a Stripe customer.
#[derive(Clone, Debug, PartialEq)]
pub struct MeteredLicense {
    /// The license.
    pub license_id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// The tenant's Stripe customer.
    pub customer_id: String,
}

/// One license's seat-hours of one whole UTC hour, to report.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMeterReport {
    /// The license.
    pub license_id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// The hour's start.
    pub hour_start: DateTime<Utc>,
    /// The Stripe customer billed.
    pub customer_id: String,
    /// Seat-hours in hundredths, rounded up.
    pub value_hundredths: i64,
}

/// A meter report claimed for an attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct DueMeterReport {
    /// The report.
    pub report: NewMeterReport,
    /// Attempts before this one.
    pub attempts: i64,
    /// When it was queued: retries stop a give-up period after it.
    pub created_at: DateTime<Utc>,
}
