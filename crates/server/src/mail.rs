//! Mail: what the invitation and password-reset mails say, and the background sender
//! that delivers the outbox over SMTP. A mail leaves the outbox only once a server
//! accepted it; a refused connection or a temporary (4xx) answer is retried with
//! exponential backoff for as long as it takes, so an outage of the mail server loses
//! nothing. A permanent refusal (5xx, or an address that cannot be parsed) is recorded
//! on the mail and not retried.

use std::time::Duration;

use coditect_storage::{NewMail, OutboxMail};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;

use crate::state::AppState;

/// Mails claimed per round.
const BATCH: u32 = 20;
/// How long a claimed mail stays hidden from other senders.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Seals a composed mail for the outbox.
pub fn outbox_mail(
    state: &AppState,
    kind: &'static str,
    recipient: &str,
    subject: String,
    body: String,
) -> anyhow::Result<NewMail> {
    Ok(NewMail {
        kind,
        recipient: recipient.to_owned(),
        subject,
        body_sealed: state.sealer.seal(&body)?,
    })
}

/// Whether this server delivers mail: `CODITECT_SMTP_URL` is set and usable. When it is
/// not, mails stay queued in the outbox and pages must say so instead of "sent".
pub fn configured(state: &AppState) -> bool {
    state
        .config
        .smtp_url
        .as_deref()
        .is_some_and(|url| AsyncSmtpTransport::<Tokio1Executor>::from_url(url).is_ok())
}

/// The acceptance link of an invitation token, as the mail carries it (and the inviter
/// sees it once, to pass on by hand when mail is not configured).
pub fn invitation_link(state: &AppState, token: &str) -> String {
    format!(
        "{}/dashboard/accept-invitation?token={token}",
        state.config.public_base()
    )
}

/// The invitation mail: who invites, to which tenant, and the link (valid 7 days).
pub fn invitation_text(
    state: &AppState,
    tenant_name: &str,
    role: &str,
    inviter: &str,
    token: &str,
) -> (String, String) {
    let link = invitation_link(state, token);
    (
        format!("You are invited to {tenant_name} on CODITECT License Server"),
        format!(
            "Hello,\r\n\r\n{inviter} invites you to manage the licenses of {tenant_name} \
             as {role}.\r\n\r\nAccept the invitation (the link works for 7 days):\r\n{link}\r\n\r\n\
             If you did not expect this mail, ignore it.\r\n"
        ),
    )
}

/// The password-reset mail, with a link valid for one hour.
pub fn reset_text(state: &AppState, token: &str) -> (String, String) {
    let link = format!(
        "{}/dashboard/reset-password?token={token}",
        state.config.public_base()
    );
    (
        "Reset your CODITECT License Server password".to_owned(),
        format!(
            "Hello,\r\n\r\nSomeone asked to reset the password of this account.\r\n\r\n\
             Choose a new password (the link works for one hour, once):\r\n{link}\r\n\r\n\
             If it was not you, ignore this mail; your password stays as it is.\r\n"
        ),
    )
}

/// Subject and body of a sign-up's verification mail.
pub fn signup_text(state: &AppState, token: &str) -> (String, String) {
    let link = format!(
        "{}/dashboard/verify-signup?token={token}",
        state.config.public_base()
    );
    (
        "Confirm your CODITECT License Server account".to_owned(),
        format!(
            "Hello,\r\n\r\nSomeone signed up for CODITECT License Server with this address.\r\n\r\n\
             Confirm it to create your account (the link works for 24 hours, once):\r\n{link}\r\n\r\n\
             If it was not you, ignore this mail; no account is created.\r\n"
        ),
    )
}

/// Subject and body of the mail a sign-up with an address that has an account gets.
pub fn signup_exists_text(state: &AppState) -> (String, String) {
    let base = state.config.public_base();
    (
        "You already have a CODITECT License Server account".to_owned(),
        format!(
            "Hello,\r\n\r\nSomeone tried to sign up with this address, which already has an \
             account.\r\n\r\nSign in at {base}/dashboard/login, or reset your password there \
             if you have forgotten it.\r\n\r\nIf it was not you, ignore this mail.\r\n"
        ),
    )
}

/// How long to wait before the next attempt after `attempts` failed ones.
pub fn backoff(state: &AppState, attempts: i64) -> Duration {
    let base = state.config.mail_retry_base;
    let factor = 1u32 << attempts.clamp(0, 16);
    base.saturating_mul(factor).min(state.config.mail_retry_max)
}

enum Failure {
    Retry(String),
    Permanent(String),
}

async fn deliver(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    mail: &OutboxMail,
) -> Result<(), Failure> {
    let body = state
        .sealer
        .open(&mail.body_sealed)
        .map_err(|e| Failure::Permanent(format!("cannot open the sealed body: {e}")))?;
    let from = state
        .config
        .mail_from
        .parse()
        .map_err(|e| Failure::Retry(format!("CODITECT_MAIL_FROM is not an address: {e}")))?;
    let to = mail
        .recipient
        .parse()
        .map_err(|e| Failure::Permanent(format!("recipient is not an address: {e}")))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))?;
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Err(e) => Err(Failure::Retry(e.to_string())),
    }
}

/// One round: claims due mails and tries each once. Returns how many were claimed.
pub async fn send_due(state: &AppState, transport: &AsyncSmtpTransport<Tokio1Executor>) -> usize {
    let mails = match state.store.claim_mails(BATCH, LEASE).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            return 0;
        }
    };
    for mail in &mails {
        let outcome = deliver(state, transport, mail).await;
        let recorded = match outcome {
            Ok(()) => {
                metrics::counter!("mail_sent_total", "kind" => mail.kind.clone()).increment(1);
                tracing::info!(mail_id = %mail.id, kind = %mail.kind, "mail sent");
                state.store.mail_sent(mail.id).await
            }
            Err(Failure::Retry(why)) => {
                let wait = backoff(state, mail.attempts);
                metrics::counter!("mail_retries_total").increment(1);
                tracing::warn!(mail_id = %mail.id, attempts = mail.attempts + 1, error = %why,
                    retry_in_ms = wait.as_millis() as u64, "mail not delivered; will retry");
                let wait = chrono::Duration::from_std(wait).unwrap_or(LEASE);
                state.store.mail_failed(mail.id, &why, Some(wait)).await
            }
            Err(Failure::Permanent(why)) => {
                metrics::counter!("mail_failed_total").increment(1);
                tracing::error!(mail_id = %mail.id, error = %why, "mail refused for good");
                state.store.mail_failed(mail.id, &why, None).await
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the mail is tried again: at worst sent twice, never lost.
            tracing::warn!(mail_id = %mail.id, error = %e, "cannot record a mail attempt");
        }
    }
    mails.len()
}

/// Builds the SMTP transport from `CODITECT_SMTP_URL`.
pub fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| anyhow::anyhow!("CODITECT_SMTP_URL is not usable: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

/// Sends the outbox until shutdown: on every new mail of this process, and every
/// `mail_poll_interval` (mails queued by other processes, and retries).
pub async fn sender(state: AppState, mut stop: watch::Receiver<bool>) {
    let Some(url) = state.config.smtp_url.clone() else {
        tracing::info!("CODITECT_SMTP_URL is not set: mails stay queued in the outbox");
        return;
    };
    let transport = match transport(&url) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "mail sender not started; mails stay queued");
            return;
        }
    };
    let mut tick = tokio::time::interval(state.config.mail_poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.mail_wake.notified() => {}
            _ = stop.changed() => return,
        }
        while send_due(&state, &transport).await == BATCH as usize {}
    }
}
