//! Sessions: one seat held by one installation, kept alive by heartbeats.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// A session's status as reported. `Active` means live: a stored `active` session past
/// its `expires_at` is reported `Expired` everywhere, reaped or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Live: holds a seat.
    Active,
    /// Ended by the client or by an admin.
    Released,
    /// Ended by missing heartbeats.
    Expired,
}

impl SessionStatus {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Released => "released",
            SessionStatus::Expired => "expired",
        }
    }
    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "released" => Some(Self::Released),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The client released it.
    Released,
    /// An admin released it.
    Forced,
    /// It missed its heartbeats.
    Expired,
}

impl EndReason {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Released => "released",
            EndReason::Forced => "forced",
            EndReason::Expired => "expired",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "released" => Some(Self::Released),
            "forced" => Some(Self::Forced),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Session {
    /// Session id.
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: Uuid,
    /// The license whose seat it holds.
    pub license_id: Uuid,
    /// The installation holding it.
    pub hardware_id: String,
    /// Who uses it, if the client said.
    pub user_email: Option<String>,
    /// Client name and version strings, if the client said.
    pub client: Option<Map<String, Value>>,
    /// Stored status (see [`Session::effective`] for the reported one).
    pub status: SessionStatus,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last acquire or heartbeat.
    pub last_heartbeat_at: DateTime<Utc>,
    /// When it stops being live unless heartbeated.
    pub expires_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Borrowed for offline use: live until `expires_at` without heartbeats.
    pub borrowed: bool,
}

impl Session {
    /// Live: active and not yet past `expires_at`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == SessionStatus::Active && now < self.expires_at
    }

    /// The session as it must be reported at `now`: an active session past its expiry is
    /// expired, ended at its `expires_at`, even before the reaper marks it.
    pub fn effective(mut self, now: DateTime<Utc>) -> Self {
        if self.status == SessionStatus::Active && now >= self.expires_at {
            self.status = SessionStatus::Expired;
            self.end_reason = Some(EndReason::Expired);
            self.ended_at = Some(self.expires_at);
        }
        self
    }

    /// The session as the audit log records it.
    pub fn audit_snapshot(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn session(expires_in: i64) -> (Session, DateTime<Utc>) {
        let now = Utc::now();
        let s = Session {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            license_id: Uuid::now_v7(),
            hardware_id: "hw".into(),
            user_email: None,
            client: None,
            status: SessionStatus::Active,
            end_reason: None,
            created_at: now,
            last_heartbeat_at: now,
            expires_at: now + Duration::seconds(expires_in),
            ended_at: None,
            borrowed: false,
        };
        (s, now)
    }

    #[test]
    fn past_expiry_reports_expired_at_expires_at() {
        let (s, now) = session(-5);
        assert!(!s.is_live(now));
        let e = s.clone().effective(now);
        assert_eq!(e.status, SessionStatus::Expired);
        assert_eq!(e.end_reason, Some(EndReason::Expired));
        assert_eq!(e.ended_at, Some(s.expires_at));
    }

    #[test]
    fn live_session_is_reported_unchanged() {
        let (s, now) = session(5);
        assert!(s.is_live(now));
        assert_eq!(s.clone().effective(now), s);
        assert!(
            !s.is_live(s.expires_at),
            "expiry instant itself is not live"
        );
    }
}
