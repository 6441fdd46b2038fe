//! Where a mail of the outbox stands, decided from its recorded times once so that both
//! storage backends and the staff outbox view agree.

use chrono::{DateTime, Utc};

/// The state of an outbox mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its first or next attempt (or for a mail server to be configured).
    Queued,
    /// Accepted by the mail server; its body is forgotten.
    Sent,
    /// Refused for good; retried only when staff ask.
    Failed,
}

impl MailState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Queued, Self::Sent, Self::Failed];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Decides a mail's state from when it was sent and when it failed for good.
pub fn mail_state(sent_at: Option<DateTime<Utc>>, failed_at: Option<DateTime<Utc>>) -> MailState {
    match (sent_at, failed_at) {
        (Some(_), _) => MailState::Sent,
        (None, Some(_)) => MailState::Failed,
        (None, None) => MailState::Queued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_wins_then_failed_else_queued() {
        let t = Some(Utc::now());
        assert_eq!(mail_state(None, None), MailState::Queued);
        assert_eq!(mail_state(None, t), MailState::Failed);
        assert_eq!(mail_state(t, t), MailState::Sent);
        for s in MailState::ALL {
            assert_eq!(MailState::parse(s.as_str()), Some(s));
        }
    }
}
