//! Outbox statements for the staff view that both backends run as they are. None of them
//! reads a mail's body: a queued body holds a one-time link.

use coditect_domain::mail::MailState;

/// The columns staff may see.
const COLUMNS: &str = "id, kind, recipient, subject, attempts, last_error, created_at, \
     next_attempt_at, sent_at, failed_at";

/// A page of the outbox, newest first: `$1` the cursor or NULL, `$2` the page size.
pub fn list(state: Option<MailState>) -> String {
    let cond = match state {
        None => "TRUE",
        Some(MailState::Queued) => "sent_at IS NULL AND failed_at IS NULL",
        Some(MailState::Sent) => "sent_at IS NOT NULL",
        Some(MailState::Failed) => "sent_at IS NULL AND failed_at IS NOT NULL",
    };
    format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE ($1 IS NULL OR id < $1) AND {cond} \
         ORDER BY id DESC LIMIT $2"
    )
}

/// One mail: `$1` id.
pub fn by_id() -> String {
    format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1")
}

/// Puts a mail that failed for good back in the queue, due at `$1`: `$2` id; no row when
/// the mail is not failed. Its attempts start again from 0, so if it fails once more it
/// waits the first backoff step, not the longest (`last_error` is kept until then).
pub fn retry() -> String {
    format!(
        "UPDATE mail_outbox SET failed_at = NULL, next_attempt_at = $1, attempts = 0 \
         WHERE id = $2 AND sent_at IS NULL AND failed_at IS NOT NULL RETURNING {COLUMNS}"
    )
}
