//! What billing's mails say: a failed payment, a trial's key, an expiry reminder.

use chrono::{DateTime, Utc};

use crate::state::AppState;

fn dashboard(state: &AppState) -> String {
    format!("{}/dashboard/", state.config.public_base())
}

/// The mail of a failed renewal payment (one per invoice).
pub fn payment_failed(
    state: &AppState,
    tenant: &str,
    expires_at: Option<DateTime<Utc>>,
) -> (String, String) {
    let until = expires_at
        .map(|t| format!("until {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_else(|| "for the grace period".into());
    (
        format!("Payment failed for {tenant}: your licenses keep working {until}"),
        format!(
            "Hello,\r\n\r\nThe latest payment for {tenant}'s subscription did not go through. \
             Your licenses keep working {until} while the payment is retried; update the \
             payment method to keep them running.\r\n\r\nLicenses: {}\r\n",
            dashboard(state)
        ),
    )
}

/// The mail carrying a trial's license key.
pub fn trial_key(
    product: &str,
    key: &str,
    expires_at: DateTime<Utc>,
    seats: i64,
) -> (String, String) {
    (
        format!("Your {product} trial license"),
        format!(
            "Hello,\r\n\r\nHere is your trial license key for {product} ({seats} seat(s), \
             valid until {}):\r\n\r\n    {key}\r\n\r\nEnter it in the application to start.\r\n",
            expires_at.format("%Y-%m-%d %H:%M UTC")
        ),
    )
}

/// An expiry reminder, `days` being the threshold it is sent for.
pub fn expiry_reminder(
    state: &AppState,
    tenant: &str,
    license: &str,
    expires_at: DateTime<Utc>,
    days: i64,
) -> (String, String) {
    let when = if days == 1 {
        "within a day".to_owned()
    } else {
        format!("within {days} days")
    };
    (
        format!("{license} of {tenant} expires {when}"),
        format!(
            "Hello,\r\n\r\nThe license {license} of {tenant} expires on {}. Renew it to keep \
             its seats working.\r\n\r\nLicenses: {}\r\n",
            expires_at.format("%Y-%m-%d %H:%M UTC"),
            dashboard(state)
        ),
    )
}
