//! Inputs and outputs of the storage operations that are not plain domain types.

use chrono::{DateTime, Utc};
use coditect_domain::{License, Role, Session, SessionStatus};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A license together with its live-session count at the time it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct LicenseWithUsage {
    /// The license.
    pub license: License,
    /// Live sessions of the license at `now`.
    pub seats_used: i64,
    /// The database time the count was taken at.
    pub now: DateTime<Utc>,
}

/// An acquire, already parsed.
#[derive(Clone, Debug)]
pub struct AcquireRequest {
    /// SHA-256 of the normalized license key.
    pub key_hash: String,
    /// The installation asking; its live session, if any, is resumed.
    pub hardware_id: String,
    /// The user's e-mail, if the client sent one; replaces the session's on resume.
    pub user_email: Option<String>,
    /// Client name and version.
    pub client: Option<Map<String, Value>>,
    /// A queued acquire (`wait_seconds`): when refused for lack of seats, the request
    /// takes (or keeps, refreshing it) its place in the license's first-come-first-served
    /// queue under this id; when granted, it leaves the queue.
    pub waiter: Option<Uuid>,
    /// A borrow for offline use of this many hours (checked against the license's
    /// `max_borrow_hours`); `None` for an ordinary acquire.
    pub borrow_hours: Option<i64>,
}

/// A granted acquire.
#[derive(Clone, Debug)]
pub struct AcquireOutcome {
    /// The session, new or resumed.
    pub session: Session,
    /// Its license.
    pub license: License,
    /// Live sessions after the acquire.
    pub seats_used: i64,
    /// True for a new seat (201), false for a resumed session (200).
    pub created: bool,
    /// Database time of the decision.
    pub now: DateTime<Utc>,
}

/// A granted heartbeat.
#[derive(Clone, Debug)]
pub struct HeartbeatOutcome {
    /// The refreshed session.
    pub session: Session,
    /// Its license.
    pub license: License,
    /// Live sessions of the license after the heartbeat.
    pub seats_used: i64,
    /// Database time of the decision.
    pub now: DateTime<Utc>,
}

/// A release's result.
#[derive(Clone, Debug)]
pub struct ReleaseOutcome {
    /// The session the release named.
    pub session_id: Uuid,
    /// Its license, so queued acquires on it can be woken.
    pub license_id: Uuid,
    /// True when this call ended the session.
    pub released: bool,
    /// The session's reported status afterwards.
    pub status: SessionStatus,
    /// Database time of the release.
    pub now: DateTime<Utc>,
}

/// A bearer token to store, by the SHA-256 of its secret (the secret itself never is).
#[derive(Clone, Debug)]
pub struct NewApiToken {
    /// The tenant it acts on; `None` for a superadmin token.
    pub tenant_id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// What it may do at most.
    pub role: Role,
    /// SHA-256 (hex) of the secret.
    pub secret_hash: String,
    /// The person it is made for, whose membership bounds it (see `ApiToken`).
    pub created_by_user_id: Option<Uuid>,
    /// The person who makes it, staff or member, whose account it lives by (see `ApiToken`).
    pub made_by_user_id: Option<Uuid>,
}

/// How a key being stored relates to the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRotation {
    /// The first key: stored (and made current) only when no key is current yet, so
    /// processes starting at once on a new database agree on one.
    FirstKey,
    /// A rotation: the new key becomes current, and the previous one stays published
    /// until `retire_old_until`, so tokens it signed keep verifying.
    Replace {
        /// Until when the previous key stays listed.
        retire_old_until: DateTime<Utc>,
    },
}

/// A signing key to store. The private key is already sealed by the caller.
#[derive(Clone, Debug)]
pub struct NewSigningKey {
    /// Key id, the JWS `kid`.
    pub kid: String,
    /// `ES256`, `EdDSA` or `RS256`.
    pub alg: String,
    /// Private key (DER), sealed.
    pub private_sealed: String,
    /// Public key as a JWK (JSON).
    pub public_jwk: Value,
}

/// A stored signing key.
#[derive(Clone, Debug)]
pub struct SigningKeyRecord {
    /// Key id, the JWS `kid` (the RFC 7638 thumbprint of the public key).
    pub kid: String,
    /// JWS `alg` name: `ES256`, `EdDSA` or `RS256`.
    pub alg: String,
    /// Private key (DER), sealed.
    pub private_sealed: String,
    /// Public key as a JWK, as the JWKS publishes it.
    pub public_jwk: Value,
    /// True for the one key that signs new tokens.
    pub is_current: bool,
    /// When the key was generated and stored.
    pub created_at: DateTime<Utc>,
    /// For a retired key: when the last token it may have signed expires.
    pub retain_until: Option<DateTime<Utc>>,
}

/// A mail to queue in the outbox. The body is sealed by the caller (it may carry a
/// one-time link), and cleared once the mail is sent.
#[derive(Clone, Debug)]
pub struct NewMail {
    /// What kind of mail (`invitation`, `password_reset`), for logs and metrics.
    pub kind: &'static str,
    /// Recipient address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body, sealed.
    pub body_sealed: String,
}

/// A queued mail claimed by a sender.
#[derive(Clone, Debug)]
pub struct OutboxMail {
    /// Mail id.
    pub id: Uuid,
    /// What kind of mail (`invitation`, `password_reset`); the `kind` label of mail metrics.
    pub kind: String,
    /// Address to deliver to.
    pub recipient: String,
    /// Subject line, as queued.
    pub subject: String,
    /// Plain-text body, sealed; the sender opens it just before delivery.
    pub body_sealed: String,
    /// Delivery attempts made before this one.
    pub attempts: i64,
}

/// How the outbox stands, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting to be sent (including ones being retried).
    pub pending: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Refused for good by the mail server.
    pub failed: i64,
    /// Failed attempts so far across pending mails.
    pub pending_attempts: i64,
}

/// The result of looking up a one-time token (invitation, password reset).
#[derive(Clone, Debug, PartialEq)]
pub enum OneTime<T> {
    /// No such token (`404`).
    Unknown,
    /// Used already or expired (`410 token_expired`).
    Spent,
    /// Usable; for a consuming call, now used.
    Usable(T),
}

/// An invitation to create; its mail is queued in the same transaction.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    /// Tenant to join.
    pub tenant_id: Uuid,
    /// Invitee, lower-cased.
    pub email: String,
    /// Role granted on acceptance.
    pub role: coditect_domain::MemberRole,
    /// SHA-256 of the secret in the link.
    pub token_hash: String,
    /// How long the link works.
    pub ttl: chrono::Duration,
}

/// The account an accepted invitation attaches to.
#[derive(Clone)]
pub struct InviteeAccount {
    /// Display name for a new account.
    pub name: String,
    /// argon2id hash for a new account; `None` when the caller verified the password of
    /// an existing account with this e-mail.
    pub password_hash: Option<String>,
}

/// One tenant's usage over a range, for the staff view.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantUsage {
    /// The tenant this row is about.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// Most seats used at one sample.
    pub peak: i64,
    /// Sum of the per-slot totals (for the average).
    pub sum: i64,
    /// Slots with a sample.
    pub slots: i64,
    /// Denials in the range.
    pub denials: i64,
    /// Licenses the tenant has.
    pub licenses: i64,
    /// Live sessions now.
    pub live_sessions: i64,
}

/// A license close to its expiry, with what an expiry reminder needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpiringLicense {
    /// The license.
    pub license: License,
    /// Its tenant's name, for the mail.
    pub tenant_name: String,
    /// Its tenant's billing e-mail: where the reminder goes.
    pub billing_email: Option<String>,
    /// The tenant's owners' e-mails: where it goes when there is no billing e-mail.
    pub owner_emails: Vec<String>,
    /// Thresholds (days) already sent for the license's current `expires_at`.
    pub sent_thresholds: Vec<i64>,
}

/// Which seat use to read: one page of a tenant's licenses, or its one license, over a
/// window.
#[derive(Clone, Copy, Debug)]
pub struct SeatUseQuery {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Only this license, when given.
    pub license_id: Option<Uuid>,
    /// The window's start.
    pub from: DateTime<Utc>,
    /// The window's end (exclusive).
    pub to: DateTime<Utc>,
    /// The page: licenses with ids after this one.
    pub after: Option<Uuid>,
    /// The page: at most this many licenses.
    pub limit: u32,
}

/// One license's raw seat use in a window: the sessions that held its seats at some
/// point of it, and its refused acquires. The domain (`metering`) turns it into rows.
#[derive(Clone, Debug, PartialEq)]
pub struct LicenseSeatUse {
    /// The license.
    pub license_id: Uuid,
    /// Its product, when it has one.
    pub product_id: Option<Uuid>,
    /// Each session's times, oldest first.
    pub sessions: Vec<SessionTimes>,
    /// When each refused acquire happened, oldest first.
    pub denials: Vec<DateTime<Utc>>,
}

/// A session's times as stored: where its seat use begins and the two times its end is
/// decided from (`metering::seat_end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimes {
    /// When the seat was acquired.
    pub created_at: DateTime<Utc>,
    /// When it was released or forced, if it was.
    pub ended_at: Option<DateTime<Utc>>,
    /// When its TTL runs or ran out.
    pub expires_at: DateTime<Utc>,
}

/// An invitation as the tenant's list and the public link lookup show it: the invitation,
/// its state at the time of reading, and when it was revoked or replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct InvitationRecord {
    /// The invitation.
    pub invitation: coditect_domain::Invitation,
    /// Where it stands now (see [`coditect_domain::invitation::invitation_state`]).
    pub state: coditect_domain::invitation::InvitationState,
    /// When it was revoked or replaced by a newer invitation.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A mail of the outbox as staff see it: never its body (a queued body holds a one-time
/// link), only where it is and why it is stuck.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// Mail id (time-ordered).
    pub id: Uuid,
    /// What kind of mail (`invitation`, `password_reset`, `signup`, ...).
    pub kind: String,
    /// Address it goes to.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Queued, sent or failed.
    pub state: coditect_domain::mail::MailState,
    /// Delivery attempts that failed so far.
    pub attempts: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (queued mails only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the mail server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was refused for good.
    pub failed_at: Option<DateTime<Utc>>,
}

/// A license's new key, as stored: sealed for admins to read back, hashed for lookup, its
/// last characters as the hint lists show. Made by the HTTP layer, which owns the key
/// material; the store never sees a key in the clear.
#[derive(Clone, Debug)]
pub struct NewLicenseKey {
    /// The key sealed by the server's sealer.
    pub sealed: String,
    /// The key's lookup hash.
    pub hash: String,
    /// The key's last characters.
    pub hint: String,
}

/// A key a license had before a reissue. It admits no new seat, but the seats it gave
/// keep heartbeating and can be released with it until they end, so reissuing a leaked
/// key never cuts off the customer's running machines.
#[derive(Clone, Debug, PartialEq)]
pub struct RetiredKey {
    /// Tenant of the license.
    pub tenant_id: Uuid,
    /// The license it belonged to.
    pub license_id: Uuid,
    /// The lookup hash of the license's key now, for the seat operations.
    pub current_key_hash: String,
    /// When it stopped admitting new seats.
    pub retired_at: DateTime<Utc>,
}

/// One refused acquire, with who was refused: the machines that hit a license's seat
/// limit are the vendor's upsell, and support's first question when a customer calls.
#[derive(Clone, Debug, PartialEq)]
pub struct Denial {
    /// Denial id (time-ordered).
    pub id: Uuid,
    /// The license that had no seat.
    pub license_id: Uuid,
    /// The license's name now, if it has one.
    pub license_name: Option<String>,
    /// When the acquire was refused (or a queued one's wait ran out).
    pub at: DateTime<Utc>,
    /// The refused installation; `None` for denials recorded before it was kept.
    pub hardware_id: Option<String>,
    /// The e-mail the refused client sent, if any.
    pub user_email: Option<String>,
}
