//! The seat rules. Backends call these inside the transaction that holds the license's
//! lock, so the decision and the write it leads to are one atomic step.

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;
use uuid::Uuid;

use crate::error_code::ErrorCode;
use crate::license::{License, LicenseState};
use crate::session::{EndReason, Session, SessionStatus};

/// Why a seat operation was refused; each maps to one contract error code.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SeatError {
    /// `license_suspended` (403).
    #[error("the license is suspended")]
    LicenseSuspended,
    /// `license_expired` (403).
    #[error("the license has expired")]
    LicenseExpired,
    /// `no_seats_available` (409).
    #[error("all {seats_total} seats are in use or promised to earlier waiters")]
    NoSeats {
        /// The license's seats.
        seats_total: i64,
        /// Live sessions at the moment of refusal.
        seats_used: i64,
        /// Acquires queued ahead of this one (`wait_seconds`), which free seats go to first.
        waiting: i64,
    },
    /// `borrowing_disabled` (403): the license's `max_borrow_hours` is 0.
    #[error("this license does not allow borrowing")]
    BorrowingDisabled,
    /// `validation_error` (422) on `hours`: more than the license's `max_borrow_hours`.
    #[error("hours must be between 1 and {max_hours} for this license")]
    BorrowTooLong {
        /// The license's `max_borrow_hours`.
        max_hours: i64,
    },
    /// `session_expired` (410).
    #[error("the session has expired; acquire again")]
    SessionExpired,
    /// `session_released` (410).
    #[error("the session was released; acquire again")]
    SessionReleased {
        /// True when an admin forced the release.
        forced: bool,
    },
}

impl SeatError {
    /// The wire code this refusal is answered with, so the HTTP layer maps no refusal by
    /// hand (a borrow too long is a `validation_error` on `hours`).
    pub fn code(&self) -> ErrorCode {
        match self {
            SeatError::LicenseSuspended => ErrorCode::LicenseSuspended,
            SeatError::LicenseExpired => ErrorCode::LicenseExpired,
            SeatError::NoSeats { .. } => ErrorCode::NoSeatsAvailable,
            SeatError::BorrowingDisabled => ErrorCode::BorrowingDisabled,
            SeatError::BorrowTooLong { .. } => ErrorCode::ValidationError,
            SeatError::SessionExpired => ErrorCode::SessionExpired,
            SeatError::SessionReleased { .. } => ErrorCode::SessionReleased,
        }
    }
}

/// What an acquire does once it is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquireDecision {
    /// The hardware already holds a live session: refresh it and hand it back (`200`).
    Resume {
        /// The session to refresh.
        session_id: Uuid,
        /// Its new expiry.
        expires_at: DateTime<Utc>,
    },
    /// Take a new seat (`201`).
    Create {
        /// The new session's expiry.
        expires_at: DateTime<Utc>,
    },
}

/// When a session acquired or heartbeated at `now` expires: one TTL on, never past the
/// license's own expiry.
pub fn session_expiry(license: &License, now: DateTime<Utc>) -> DateTime<Utc> {
    let by_ttl = now + Duration::seconds(license.heartbeat_ttl_seconds);
    match license.expires_at {
        Some(end) if end < by_ttl => end,
        _ => by_ttl,
    }
}

/// When a session refreshed at `now` (acquire resume or heartbeat) expires. A borrowed
/// session keeps its borrow's end if that is later than one TTL on.
pub fn refreshed_expiry(license: &License, session: &Session, now: DateTime<Utc>) -> DateTime<Utc> {
    let by_ttl = session_expiry(license, now);
    if session.borrowed && session.expires_at > by_ttl {
        match license.expires_at {
            Some(end) if end < session.expires_at => end.max(by_ttl),
            _ => session.expires_at,
        }
    } else {
        by_ttl
    }
}

/// When a borrow of `hours` made at `now` ends: never past the license's expiry.
pub fn borrow_end(license: &License, now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    let end = now + Duration::hours(hours);
    match license.expires_at {
        Some(l) if l < end => l,
        _ => end,
    }
}

/// How long an abandoned waiter (its request gone without leaving the queue) keeps its
/// place: each waiting request refreshes its place at least every few hundred ms.
pub const WAITER_TTL_SECONDS: i64 = 5;

/// How often a client should heartbeat: a third of the TTL, at least every second.
pub fn heartbeat_interval_seconds(ttl_seconds: i64) -> i64 {
    (ttl_seconds / 3).max(1)
}

fn usable(license: &License, now: DateTime<Utc>) -> Result<(), SeatError> {
    match license.state(now) {
        LicenseState::Valid => Ok(()),
        LicenseState::Suspended => Err(SeatError::LicenseSuspended),
        LicenseState::Expired => Err(SeatError::LicenseExpired),
    }
}

/// Decides an acquire. `live_seats` counts the license's live sessions, `ahead` the
/// queued acquires that came first (free seats go to them first, see `wait_seconds`), and
/// `same_hardware` is this hardware's live session, all read under the license's lock at
/// `now`. A borrow (`borrow_hours`) also checks the license's `max_borrow_hours`.
pub fn decide_acquire(
    license: &License,
    now: DateTime<Utc>,
    live_seats: i64,
    ahead: i64,
    same_hardware: Option<&Session>,
    borrow_hours: Option<i64>,
) -> Result<AcquireDecision, SeatError> {
    usable(license, now)?;
    let expires_at = match borrow_hours {
        Some(hours) => {
            if license.max_borrow_hours == 0 {
                return Err(SeatError::BorrowingDisabled);
            }
            if hours > license.max_borrow_hours {
                return Err(SeatError::BorrowTooLong {
                    max_hours: license.max_borrow_hours,
                });
            }
            borrow_end(license, now, hours)
        }
        None => session_expiry(license, now),
    };
    if let Some(s) = same_hardware.filter(|s| s.is_live(now)) {
        let expires_at = match borrow_hours {
            Some(_) => expires_at,
            None => refreshed_expiry(license, s, now),
        };
        return Ok(AcquireDecision::Resume {
            session_id: s.id,
            expires_at,
        });
    }
    if live_seats + ahead >= license.seats_total {
        return Err(SeatError::NoSeats {
            seats_total: license.seats_total,
            seats_used: live_seats,
            waiting: ahead,
        });
    }
    Ok(AcquireDecision::Create { expires_at })
}

/// The refusal for a session that no longer holds a seat.
pub fn dead_session_error(session: &Session) -> SeatError {
    match session.status {
        SessionStatus::Released => SeatError::SessionReleased {
            forced: session.end_reason == Some(EndReason::Forced),
        },
        _ => SeatError::SessionExpired,
    }
}

/// Decides a heartbeat, returning the session's new expiry. The session's own state is
/// checked before the license's: a dead session is `410` whatever the license says.
pub fn decide_heartbeat(
    license: &License,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, SeatError> {
    if !session.is_live(now) {
        return Err(dead_session_error(session));
    }
    usable(license, now)?;
    Ok(refreshed_expiry(license, session, now))
}

/// What a release does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseDecision {
    /// The session is live: end it now.
    Release,
    /// Already over; report its status and change nothing.
    AlreadyEnded(SessionStatus),
}

/// Decides a release. Release works whatever the license's state.
pub fn decide_release(session: &Session, now: DateTime<Utc>) -> ReleaseDecision {
    if session.is_live(now) {
        ReleaseDecision::Release
    } else {
        ReleaseDecision::AlreadyEnded(session.clone().effective(now).status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn license(seats: i64) -> License {
        let now = Utc::now();
        License {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            name: None,
            key_sealed: String::new(),
            key_hint: String::new(),
            seats_total: seats,
            expires_at: None,
            heartbeat_ttl_seconds: 60,
            entitlements: vec![],
            metadata: Map::new(),
            is_active: true,
            max_borrow_hours: 0,
            created_at: now,
            updated_at: now,
            product_id: None,
            subscription: None,
            archived_at: None,
        }
    }

    fn session(l: &License, expires_at: DateTime<Utc>, status: SessionStatus) -> Session {
        Session {
            id: Uuid::now_v7(),
            tenant_id: l.tenant_id,
            license_id: l.id,
            hardware_id: "hw".into(),
            user_email: None,
            client: None,
            status,
            end_reason: None,
            created_at: expires_at,
            last_heartbeat_at: expires_at,
            expires_at,
            ended_at: None,
            borrowed: false,
        }
    }

    #[test]
    fn full_license_refuses_with_counts() {
        let l = license(2);
        let err = decide_acquire(&l, Utc::now(), 2, 0, None, None).unwrap_err();
        assert_eq!(
            err,
            SeatError::NoSeats {
                seats_total: 2,
                seats_used: 2,
                waiting: 0
            }
        );
        assert!(matches!(
            decide_acquire(&l, Utc::now(), 1, 0, None, None),
            Ok(AcquireDecision::Create { .. })
        ));
    }

    #[test]
    fn same_hardware_resumes_even_when_over_seats() {
        let l = license(1);
        let now = Utc::now();
        let s = session(&l, now + Duration::seconds(10), SessionStatus::Active);
        let d = decide_acquire(&l, now, 3, 0, Some(&s), None).unwrap();
        assert!(matches!(d, AcquireDecision::Resume { session_id, .. } if session_id == s.id));
    }

    #[test]
    fn expired_same_hardware_session_is_never_resumed() {
        let l = license(1);
        let now = Utc::now();
        let s = session(&l, now, SessionStatus::Active);
        assert!(matches!(
            decide_acquire(&l, now, 0, 0, Some(&s), None),
            Ok(AcquireDecision::Create { .. })
        ));
    }

    #[test]
    fn suspension_wins_over_expiry_and_over_a_live_session() {
        let mut l = license(5);
        let now = Utc::now();
        l.is_active = false;
        l.expires_at = Some(now - Duration::seconds(1));
        let s = session(&l, now + Duration::seconds(10), SessionStatus::Active);
        assert_eq!(
            decide_acquire(&l, now, 0, 0, Some(&s), None),
            Err(SeatError::LicenseSuspended)
        );
        l.is_active = true;
        assert_eq!(
            decide_acquire(&l, now, 0, 0, None, None),
            Err(SeatError::LicenseExpired)
        );
    }

    #[test]
    fn session_expiry_is_capped_by_license_expiry() {
        let mut l = license(1);
        let now = Utc::now();
        l.expires_at = Some(now + Duration::seconds(5));
        assert_eq!(session_expiry(&l, now), now + Duration::seconds(5));
        l.expires_at = None;
        assert_eq!(session_expiry(&l, now), now + Duration::seconds(60));
    }

    #[test]
    fn heartbeat_checks_session_before_license() {
        let mut l = license(1);
        l.is_active = false;
        let now = Utc::now();
        let mut s = session(&l, now - Duration::seconds(1), SessionStatus::Active);
        assert_eq!(
            decide_heartbeat(&l, &s, now),
            Err(SeatError::SessionExpired)
        );
        s.status = SessionStatus::Released;
        s.end_reason = Some(EndReason::Forced);
        assert_eq!(
            decide_heartbeat(&l, &s, now),
            Err(SeatError::SessionReleased { forced: true })
        );
        let live = session(&l, now + Duration::seconds(5), SessionStatus::Active);
        assert_eq!(
            decide_heartbeat(&l, &live, now),
            Err(SeatError::LicenseSuspended)
        );
    }

    #[test]
    fn heartbeat_interval_is_a_third_at_least_one() {
        assert_eq!(heartbeat_interval_seconds(360), 120);
        assert_eq!(heartbeat_interval_seconds(2), 1);
        assert_eq!(heartbeat_interval_seconds(1), 1);
    }

    #[test]
    fn waiters_ahead_hold_free_seats() {
        let l = license(3);
        let now = Utc::now();
        assert!(matches!(
            decide_acquire(&l, now, 1, 1, None, None),
            Ok(AcquireDecision::Create { .. })
        ));
        assert_eq!(
            decide_acquire(&l, now, 1, 2, None, None),
            Err(SeatError::NoSeats {
                seats_total: 3,
                seats_used: 1,
                waiting: 2
            })
        );
    }

    #[test]
    fn borrowing_needs_a_maximum_and_respects_it() {
        let mut l = license(1);
        let now = Utc::now();
        assert_eq!(
            decide_acquire(&l, now, 0, 0, None, Some(1)),
            Err(SeatError::BorrowingDisabled)
        );
        l.max_borrow_hours = 24;
        assert_eq!(
            decide_acquire(&l, now, 0, 0, None, Some(25)),
            Err(SeatError::BorrowTooLong { max_hours: 24 })
        );
        assert_eq!(
            decide_acquire(&l, now, 0, 0, None, Some(24)),
            Ok(AcquireDecision::Create {
                expires_at: now + Duration::hours(24)
            })
        );
        l.expires_at = Some(now + Duration::hours(2));
        assert_eq!(borrow_end(&l, now, 24), now + Duration::hours(2));
    }

    #[test]
    fn heartbeat_never_shortens_a_borrow() {
        let l = license(1);
        let now = Utc::now();
        let mut s = session(&l, now + Duration::hours(5), SessionStatus::Active);
        s.borrowed = true;
        assert_eq!(decide_heartbeat(&l, &s, now), Ok(s.expires_at));
        s.borrowed = false;
        assert_eq!(
            decide_heartbeat(&l, &s, now),
            Ok(now + Duration::seconds(60))
        );
    }

    #[test]
    fn release_of_expired_reports_expired() {
        let l = license(1);
        let now = Utc::now();
        let s = session(&l, now, SessionStatus::Active);
        assert_eq!(
            decide_release(&s, now),
            ReleaseDecision::AlreadyEnded(SessionStatus::Expired)
        );
        let live = session(&l, now + Duration::seconds(1), SessionStatus::Active);
        assert_eq!(decide_release(&live, now), ReleaseDecision::Release);
    }
}
