//! Response bodies of products, stored billing events and trials.

use chrono::{DateTime, Utc};
use coditect_domain::{BillingEvent, Product};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::encode_cursor;
use crate::views::page_type;

/// A product: a license template that Stripe prices and trials make licenses from.
#[derive(Serialize, ToSchema)]
pub struct ProductView {
    /// Product id: a license's `product_id`.
    pub id: Uuid,
    /// Unique handle (1–63 of `a-z0-9-`), what `POST /api/v1/trials` names.
    pub slug: String,
    /// Display name; licenses made from it are named after it.
    pub name: String,
    /// Seats one unit of a subscription item buys (1–100000): seats = quantity × this.
    pub seats_per_unit: i64,
    /// TTL of the licenses made from it (1–604800 seconds).
    pub heartbeat_ttl_seconds: i64,
    /// Entitlements of the licenses made from it.
    pub entitlements: Vec<String>,
    /// Length of a self-service trial in days (0–365; 0 offers none).
    pub trial_days: i64,
    /// Seats of a trial license (1–1000).
    pub trial_seats: i64,
    /// Days a subscription's license keeps working past its paid period (0–90).
    pub grace_days: i64,
    /// Stripe prices that sell it; a price sells at most one product.
    pub stripe_price_ids: Vec<String>,
    /// Whether its licenses' seat-hours are reported to Stripe as usage.
    pub metered: bool,
    /// When it was created; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// When a change last took effect.
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            seats_per_unit: p.seats_per_unit,
            heartbeat_ttl_seconds: p.heartbeat_ttl_seconds,
            entitlements: p.entitlements,
            trial_days: p.trial_days,
            trial_seats: p.trial_seats,
            grace_days: p.grace_days,
            stripe_price_ids: p.stripe_price_ids,
            metered: p.metered,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

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

page_type!(ProductPage, ProductView);
page_type!(BillingEventPage, BillingEventView);
