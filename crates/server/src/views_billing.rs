//! Response bodies of stored billing events and trials, and the page of products (a
//! product is its own wire shape, `coditect_domain::Product`).

use chrono::{DateTime, Utc};
use coditect_domain::{BillingEvent, Product};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::encode_cursor;
use crate::views::page_type;

/// A Stripe event as stored, and what it did.
#[derive(Serialize, ToSchema)]
pub struct BillingEventView {
    /// Stripe's event id (`evt_…`); a second delivery of it changes nothing.
    pub id: String,
    /// Stripe's event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Stripe's `created` time: events about one subscription apply in this order.
    pub created: DateTime<Utc>,
    /// When this server stored it (the listing runs newest first by it).
    pub received_at: DateTime<Utc>,
    /// `pending` (stored, not applied yet), `applied` or `ignored`.
    pub status: String,
    /// What it did, or why it was ignored; `null` while pending.
    pub reason: Option<String>,
    /// Licenses it made or changed.
    pub license_ids: Vec<Uuid>,
    /// The tenant it concerned, once known.
    pub tenant_id: Option<Uuid>,
}

impl From<BillingEvent> for BillingEventView {
    fn from(e: BillingEvent) -> Self {
        Self {
            id: e.id,
            event_type: e.event_type,
            created: e.created,
            received_at: e.received_at,
            status: e.status.as_str().into(),
            reason: e.reason,
            license_ids: e.license_ids,
            tenant_id: e.tenant_id,
        }
    }
}

/// The webhook's answer once the event is stored.
#[derive(Serialize, ToSchema)]
pub struct WebhookReceivedView {
    /// Always true: the event is stored (or was already).
    pub received: bool,
    /// True when this event id was stored before; nothing changed.
    pub duplicate: bool,
}

/// A trial just made.
#[derive(Serialize, ToSchema)]
pub struct TrialView {
    /// The trial license's key (also mailed to the e-mail given).
    pub license_key: String,
    /// The trial license.
    pub license_id: Uuid,
    /// The tenant it is in (the e-mail's).
    pub tenant_id: Uuid,
    /// When the trial ends (now + the product's `trial_days`).
    pub expires_at: DateTime<Utc>,
    /// The product's `trial_seats`.
    pub seats_total: i64,
    /// The product's slug.
    pub product: String,
}

page_type!(ProductPage, Product);
page_type!(BillingEventPage, BillingEventView);
