//! Stored billing events: what arrived from Stripe and what each one did.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// What became of a stored event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BillingEventStatus {
    /// Stored, not applied yet (a crash between storing and applying leaves this).
    Pending,
    /// Applied: `license_ids` are the licenses it changed or made.
    Applied,
    /// Stored and deliberately not acted on (unknown type, older than the last applied
    /// event of its subscription, unknown price); `reason` says why.
    Ignored,
}

impl BillingEventStatus {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Ignored => "ignored",
        }
    }
    /// Parses a stored or query name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "applied" => Some(Self::Applied),
            "ignored" => Some(Self::Ignored),
            _ => None,
        }
    }
}

/// A verified event to store, before anything acts on it.
#[derive(Clone, Debug)]
pub struct NewBillingEvent {
    /// Stripe's event id (`evt_…`): the idempotency key.
    pub id: String,
    /// Stripe's event type.
    pub event_type: String,
    /// Stripe's `created` time of the event.
    pub created: DateTime<Utc>,
    /// The event as received (parsed from the verified raw body).
    pub payload: Value,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq)]
pub struct BillingEvent {
    /// Stripe's event id.
    pub id: String,
    /// Stripe's event type.
    pub event_type: String,
    /// Stripe's `created` time.
    pub created: DateTime<Utc>,
    /// When this server stored it; the listing's order (newest first).
    pub received_at: DateTime<Utc>,
    /// What became of it.
    pub status: BillingEventStatus,
    /// Why it was ignored (or what it did, in words), `None` while pending.
    pub reason: Option<String>,
    /// Licenses it made or changed.
    pub license_ids: Vec<Uuid>,
    /// The tenant it concerned, once known.
    pub tenant_id: Option<Uuid>,
    /// The event as received.
    pub payload: Value,
}

/// Which stored events a listing shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BillingEventFilter {
    /// Only this Stripe event type.
    pub event_type: Option<String>,
    /// Only events in this status.
    pub status: Option<BillingEventStatus>,
}
