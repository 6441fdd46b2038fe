//! What a subscription or invoice means for a license: seats, expiry, activity. The
//! billing applier reads these and writes them; no backend decides any of it.

use chrono::{DateTime, Duration, Utc};

use super::stripe_event::{StripeSubscription, SubscriptionItem};
use super::{Product, Subscription, SubscriptionStatus};
use crate::input::SEATS_RANGE;
use crate::LicensePatch;

/// A license's terms under a subscription item.
#[derive(Clone, Debug, PartialEq)]
pub struct LicenseTerms {
    /// `quantity × seats_per_unit`, within the license range.
    pub seats_total: i64,
    /// When the license stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether it may be used; `None` leaves it as it is.
    pub is_active: Option<bool>,
    /// The subscription as the license carries it.
    pub subscription: Subscription,
}

/// Seats an item buys: `quantity × seats_per_unit`, clamped to what a license may have
/// (a quantity of 0 still leaves one seat; Stripe refuses negative ones).
pub fn seats_for(product: &Product, quantity: i64) -> i64 {
    quantity
        .saturating_mul(product.seats_per_unit)
        .clamp(*SEATS_RANGE.start(), *SEATS_RANGE.end())
}

/// The end of a paid period plus the product's grace days.
pub fn with_grace(product: &Product, period_end: DateTime<Utc>) -> DateTime<Utc> {
    period_end + Duration::days(product.grace_days)
}

/// The terms of a subscription item; `Err` (the reason to record) when the subscription
/// carries no period end at all.
pub fn subscription_terms(
    product: &Product,
    sub: &StripeSubscription,
    item: &SubscriptionItem,
) -> Result<LicenseTerms, String> {
    let period_end = item
        .current_period_end
        .or_else(|| sub.period_end())
        .ok_or_else(|| format!("subscription {} has no current_period_end", sub.id))?;
    let expires_at = if sub.status == SubscriptionStatus::Canceled {
        sub.ended_at.unwrap_or(period_end)
    } else if sub.cancel_at_period_end {
        sub.cancel_at.unwrap_or(period_end)
    } else {
        with_grace(product, period_end)
    };
    Ok(LicenseTerms {
        seats_total: seats_for(product, item.quantity),
        expires_at,
        is_active: sub.status.license_active(),
        subscription: Subscription {
            provider: "stripe".into(),
            id: sub.id.clone(),
            customer_id: sub.customer.clone(),
            status: sub.status,
            current_period_end: Some(period_end),
            cancel_at_period_end: sub.cancel_at_period_end,
        },
    })
}

impl LicenseTerms {
    /// The patch that brings an existing license to these terms.
    pub fn patch(&self) -> LicensePatch {
        LicensePatch {
            seats_total: Some(self.seats_total),
            expires_at: Some(Some(self.expires_at)),
            is_active: self.is_active,
            subscription: Some(Some(self.subscription.clone())),
            ..LicensePatch::default()
        }
    }
}

/// The patch of a paid invoice: renewed to the paid period's end plus grace, active.
pub fn renewal_patch(
    product: &Product,
    current: Option<&Subscription>,
    period_end: DateTime<Utc>,
) -> LicensePatch {
    LicensePatch {
        expires_at: Some(Some(with_grace(product, period_end))),
        is_active: Some(true),
        subscription: current.map(|s| {
            Some(Subscription {
                status: SubscriptionStatus::Active,
                current_period_end: Some(period_end),
                ..s.clone()
            })
        }),
        ..LicensePatch::default()
    }
}

/// The patch of a failed payment: past due; the expiry (with its grace) stays.
pub fn past_due_patch(current: Option<&Subscription>) -> LicensePatch {
    LicensePatch {
        subscription: current.map(|s| {
            Some(Subscription {
                status: SubscriptionStatus::PastDue,
                ..s.clone()
            })
        }),
        ..LicensePatch::default()
    }
}

/// The patch of an ended subscription (deleted, or fully refunded): expires at `ended_at`
/// with no grace, so its sessions end as any expired license's do.
pub fn ended_patch(current: Option<&Subscription>, ended_at: DateTime<Utc>) -> LicensePatch {
    LicensePatch {
        expires_at: Some(Some(ended_at)),
        subscription: current.map(|s| {
            Some(Subscription {
                status: SubscriptionStatus::Canceled,
                cancel_at_period_end: false,
                ..s.clone()
            })
        }),
        ..LicensePatch::default()
    }
}

/// A tenant slug made from a customer's name or e-mail: lower-case `a-z0-9` runs joined by
/// `-`, at most 50 characters (room for a `-N` suffix), `customer` when nothing is left.
pub fn slug_base(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 50 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "customer".into()
    } else {
        out
    }
}

/// The first of `base`, `base-2`, `base-3`, … not in `taken`.
pub fn first_free_slug(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !taken.contains(s))
        .unwrap_or_else(|| base.to_owned())
}

/// A trial's e-mail as compared for "one trial per e-mail": trimmed, lower-cased.
pub fn trial_email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn product() -> Product {
        Product {
            id: uuid::Uuid::nil(),
            slug: "p".into(),
            name: "P".into(),
            seats_per_unit: 5,
            heartbeat_ttl_seconds: 360,
            entitlements: vec![],
            trial_days: 14,
            trial_seats: 1,
            grace_days: 7,
            stripe_price_ids: vec!["price_1".into()],
            metered: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn sub(status: SubscriptionStatus, cancel: bool) -> StripeSubscription {
        StripeSubscription {
            id: "sub_1".into(),
            customer: "cus_1".into(),
            status,
            current_period_end: Some(Utc.timestamp_opt(1_000_000, 0).unwrap()),
            cancel_at_period_end: cancel,
            cancel_at: None,
            ended_at: Some(Utc.timestamp_opt(500_000, 0).unwrap()),
            tenant_hint: None,
            items: vec![],
        }
    }

    fn item(quantity: i64) -> SubscriptionItem {
        SubscriptionItem {
            price_id: "price_1".into(),
            quantity,
            current_period_end: None,
        }
    }

    #[test]
    fn seats_are_quantity_times_units_and_expiry_has_grace_unless_cancelling() {
        let t = subscription_terms(
            &product(),
            &sub(SubscriptionStatus::Active, false),
            &item(3),
        )
        .unwrap();
        assert_eq!(t.seats_total, 15);
        assert_eq!(t.expires_at.timestamp(), 1_000_000 + 7 * 86_400);
        assert_eq!(t.is_active, Some(true));
        let t = subscription_terms(&product(), &sub(SubscriptionStatus::Active, true), &item(3))
            .unwrap();
        assert_eq!(t.expires_at.timestamp(), 1_000_000);
        let t = subscription_terms(
            &product(),
            &sub(SubscriptionStatus::Unpaid, false),
            &item(0),
        )
        .unwrap();
        assert_eq!((t.seats_total, t.is_active), (1, Some(false)));
        let t = subscription_terms(
            &product(),
            &sub(SubscriptionStatus::Canceled, false),
            &item(1),
        )
        .unwrap();
        assert_eq!(t.expires_at.timestamp(), 500_000);
    }

    #[test]
    fn slugs_are_derived_and_made_free() {
        assert_eq!(slug_base("  Buyer Corp, GmbH "), "buyer-corp-gmbh");
        assert_eq!(slug_base("ana@example.com"), "ana-example-com");
        assert_eq!(slug_base("日本"), "customer");
        let taken = vec!["acme".to_owned(), "acme-2".to_owned()];
        assert_eq!(first_free_slug("acme", &taken), "acme-3");
        assert_eq!(first_free_slug("other", &taken), "other");
        assert_eq!(trial_email_key("  Ana@Example.COM "), "ana@example.com");
    }
}
