//! Products: what staff define once and Stripe prices point at.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A license template. A subscription item whose price is one of `stripe_price_ids` buys
/// `quantity × seats_per_unit` seats of a license made from it; a trial gets `trial_seats`
/// for `trial_days`. Changing a product changes no license made from it. It is also the
/// wire shape of the products API: it holds nothing any admin may not read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    /// Product id: a license's `product_id`.
    pub id: Uuid,
    /// Unique handle (1–63 of `a-z0-9-`): what a trial request names.
    pub slug: String,
    /// Display name (1–200 characters), also the name of licenses made from it.
    pub name: String,
    /// Seats one unit of a subscription item buys (1–100000): seats = quantity × this.
    pub seats_per_unit: i64,
    /// The TTL given to licenses made from it (1–604800 seconds).
    pub heartbeat_ttl_seconds: i64,
    /// The entitlements given to licenses made from it.
    pub entitlements: Vec<String>,
    /// Length of a self-service trial in days (0–365); 0 offers none.
    pub trial_days: i64,
    /// Seats of a trial license (1–1000).
    pub trial_seats: i64,
    /// Days a subscription's license keeps working past its paid period, the dunning
    /// time (0–90).
    pub grace_days: i64,
    /// Stripe prices that sell this product; a price belongs to at most one product.
    pub stripe_price_ids: Vec<String>,
    /// Whether seat-hours of its licenses are reported to Stripe as usage.
    pub metered: bool,
    /// When it was created; listings run oldest first.
    pub created_at: DateTime<Utc>,
    /// When a change last took effect.
    pub updated_at: DateTime<Utc>,
}

/// A product to create, already parsed and defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProduct {
    /// Unique handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Seats per subscription unit.
    pub seats_per_unit: i64,
    /// TTL of its licenses.
    pub heartbeat_ttl_seconds: i64,
    /// Entitlements of its licenses.
    pub entitlements: Vec<String>,
    /// Trial length in days (0: none).
    pub trial_days: i64,
    /// Trial seats.
    pub trial_seats: i64,
    /// Grace days past a paid period.
    pub grace_days: i64,
    /// Prices that sell it.
    pub stripe_price_ids: Vec<String>,
    /// Usage reported to Stripe.
    pub metered: bool,
}

/// A PATCH of a product: `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductPatch {
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New seats per unit (applies to subscription events from now on).
    pub seats_per_unit: Option<i64>,
    /// New TTL for licenses made from now on.
    pub heartbeat_ttl_seconds: Option<i64>,
    /// New entitlements for licenses made from now on.
    pub entitlements: Option<Vec<String>>,
    /// New trial length.
    pub trial_days: Option<i64>,
    /// New trial seats.
    pub trial_seats: Option<i64>,
    /// New grace days.
    pub grace_days: Option<i64>,
    /// Replaces the price list whole.
    pub stripe_price_ids: Option<Vec<String>>,
    /// New metered flag.
    pub metered: Option<bool>,
}

/// The ranges the contract gives a product's numbers, for parsing.
pub struct ProductRanges {
    /// `seats_per_unit`.
    pub seats_per_unit: std::ops::RangeInclusive<i64>,
    /// `trial_days`.
    pub trial_days: std::ops::RangeInclusive<i64>,
    /// `trial_seats`.
    pub trial_seats: std::ops::RangeInclusive<i64>,
    /// `grace_days`.
    pub grace_days: std::ops::RangeInclusive<i64>,
}

/// The contract's ranges (billing-api.md, Products).
pub const PRODUCT_RANGES: ProductRanges = ProductRanges {
    seats_per_unit: 1..=100_000,
    trial_days: 0..=365,
    trial_seats: 1..=1000,
    grace_days: 0..=90,
};

impl Product {
    /// The product `p` becomes when stored with this id at `now`.
    pub fn new(id: Uuid, p: NewProduct, now: DateTime<Utc>) -> Self {
        Self {
            id,
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
            created_at: now,
            updated_at: now,
        }
    }

    /// Applies a patch, returning whether anything changed.
    pub fn apply(&mut self, p: &ProductPatch) -> bool {
        let before = self.clone();
        fn set<T: Clone>(field: &mut T, v: &Option<T>) {
            if let Some(v) = v {
                field.clone_from(v);
            }
        }
        set(&mut self.slug, &p.slug);
        set(&mut self.name, &p.name);
        set(&mut self.seats_per_unit, &p.seats_per_unit);
        set(&mut self.heartbeat_ttl_seconds, &p.heartbeat_ttl_seconds);
        set(&mut self.entitlements, &p.entitlements);
        set(&mut self.trial_days, &p.trial_days);
        set(&mut self.trial_seats, &p.trial_seats);
        set(&mut self.grace_days, &p.grace_days);
        set(&mut self.stripe_price_ids, &p.stripe_price_ids);
        set(&mut self.metered, &p.metered);
        *self != before
    }
}
