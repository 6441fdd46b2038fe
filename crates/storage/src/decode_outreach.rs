//! Rows of the invitation and mail tables as the dashboard lists them (part of
//! [`crate::decode`]).

use chrono::{DateTime, Utc};
use coditect_domain::invitation::invitation_state;
use coditect_domain::mail::mail_state;

use super::{invitation, Columns};
use crate::{InvitationRecord, OutboxEntry, StoreResult};

/// An `invitations` row with its state at `now` (the backend's clock).
pub fn invitation_record<R: Columns>(r: &R, now: DateTime<Utc>) -> StoreResult<InvitationRecord> {
    let inv = invitation(r)?;
    let revoked_at = r.opt_time("revoked_at")?;
    let replaced_by = r.opt_uuid("replaced_by")?;
    let state = invitation_state(
        inv.expires_at,
        inv.accepted_at,
        revoked_at,
        replaced_by,
        now,
    );
    Ok(InvitationRecord {
        invitation: inv,
        state,
        revoked_at,
    })
}

/// A `mail_outbox` row without its body.
pub fn outbox_entry<R: Columns>(r: &R) -> StoreResult<OutboxEntry> {
    let sent_at = r.opt_time("sent_at")?;
    let failed_at = r.opt_time("failed_at")?;
    let state = mail_state(sent_at, failed_at);
    let queued = state == coditect_domain::mail::MailState::Queued;
    Ok(OutboxEntry {
        id: r.uuid("id")?,
        kind: r.text("kind")?,
        recipient: r.text("recipient")?,
        subject: r.text("subject")?,
        state,
        attempts: r.int("attempts")?,
        last_error: r.opt_text("last_error")?,
        created_at: r.time("created_at")?,
        next_attempt_at: if queued {
            r.opt_time("next_attempt_at")?
        } else {
            None
        },
        sent_at,
        failed_at,
    })
}
