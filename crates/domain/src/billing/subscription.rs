//! The subscription a license is sold under, as the license carries it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stripe's subscription statuses. Unknown future ones parse as [`Self::Other`] so a new
/// status never fails an event; it leaves the license's activity as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// In a Stripe trial.
    Trialing,
    /// Paid up.
    Active,
    /// A renewal payment failed; Stripe is retrying (dunning).
    PastDue,
    /// Retries ran out without payment.
    Unpaid,
    /// Ended.
    Canceled,
    /// The first payment has not gone through yet.
    Incomplete,
    /// The first payment never went through.
    IncompleteExpired,
    /// Paused (a trial ended without a payment method).
    Paused,
    /// A status this build does not know.
    #[serde(other)]
    Other,
}

impl SubscriptionStatus {
    /// Parses Stripe's spelling.
    pub fn parse(s: &str) -> Self {
        match s {
            "trialing" => Self::Trialing,
            "active" => Self::Active,
            "past_due" => Self::PastDue,
            "unpaid" => Self::Unpaid,
            "canceled" => Self::Canceled,
            "incomplete" => Self::Incomplete,
            "incomplete_expired" => Self::IncompleteExpired,
            "paused" => Self::Paused,
            _ => Self::Other,
        }
    }

    /// Stripe's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Paused => "paused",
            Self::Other => "other",
        }
    }

    /// Whether a license sold under this status may be used (`is_active`); `None` keeps
    /// whatever the license had (statuses the contract does not map).
    pub fn license_active(self) -> Option<bool> {
        match self {
            Self::Trialing | Self::Active | Self::PastDue => Some(true),
            Self::Unpaid | Self::IncompleteExpired | Self::Paused => Some(false),
            Self::Canceled | Self::Incomplete | Self::Other => None,
        }
    }
}

/// A license's subscription: what the dashboard shows and what billing events update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// Always `stripe` for now.
    pub provider: String,
    /// Stripe's subscription id (`sub_…`).
    pub id: String,
    /// Stripe's customer id (`cus_…`).
    pub customer_id: String,
    /// Stripe's status as last applied.
    pub status: SubscriptionStatus,
    /// End of the paid (or trial) period; `None` when Stripe sent none.
    pub current_period_end: Option<DateTime<Utc>>,
    /// True when the customer cancelled and the subscription ends at the period's end.
    pub cancel_at_period_end: bool,
}

impl Subscription {
    /// True while the subscription renews by itself: reminders of expiry are pointless.
    pub fn renews(&self) -> bool {
        matches!(
            self.status,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing
        ) && !self.cancel_at_period_end
    }
}
