//! Expiry reminders: a mail to the tenant's billing e-mail (else its owners) before a
//! license that will not renew by itself expires, each threshold once per license and
//! expiry (a renewal moves `expires_at`, which re-arms them). Queued through the outbox.

use chrono::{Duration, Utc};
use coditect_domain::billing::reminders::due;

use super::mails;
use crate::mail;
use crate::state::AppState;

/// One pass: returns how many reminders were queued.
pub async fn remind_once(state: &AppState) -> u64 {
    let thresholds = &state.config.billing.expiry_reminder_days;
    let Some(&largest) = thresholds.iter().max() else {
        return 0;
    };
    let now = Utc::now();
    let expiring = match state
        .store
        .expiring_licenses(now + Duration::days(largest))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "looking for expiring licenses failed");
            return 0;
        }
    };
    let mut sent = 0;
    for x in expiring {
        if x.license.subscription.as_ref().is_some_and(|s| s.renews()) {
            continue;
        }
        let Some(expires_at) = x.license.expires_at else {
            continue;
        };
        let Some((days, record)) = due(expires_at, now, thresholds, &x.sent_thresholds) else {
            continue;
        };
        let to: Vec<String> = match &x.billing_email {
            Some(e) => vec![e.clone()],
            None => x.owner_emails.clone(),
        };
        if to.is_empty() {
            continue;
        }
        let name = x
            .license
            .name
            .clone()
            .unwrap_or_else(|| x.license.key_hint.clone());
        let mut mails = Vec::new();
        for r in &to {
            let (subject, body) =
                mails::expiry_reminder(state, &x.tenant_name, &name, expires_at, days);
            match mail::outbox_mail(state, "expiry_reminder", r, subject, body) {
                Ok(m) => mails.push(m),
                Err(e) => tracing::warn!(error = %e, "sealing a reminder failed"),
            }
        }
        match state
            .store
            .record_expiry_reminder(&x, &record, &mails)
            .await
        {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "queueing an expiry reminder failed"),
        }
    }
    if sent > 0 {
        state.mail_wake.notify_one();
        metrics::counter!("expiry_reminders_total").increment(sent);
    }
    sent
}
