//! The bodies of the client endpoints (acquire, borrow, heartbeat, release, validate),
//! declared once: the server serializes these very types and the client SDK deserializes
//! them (re-exported there as `Seat` and `Released`), so the two cannot drift apart.
//! Field names, order and the omission of absent fields are the contract's
//! (`docs/contract/licensing-api.md`); change them only with the contract.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::license::{License, LicenseState};
use crate::seats::heartbeat_interval_seconds;
use crate::session::{Session, SessionStatus};

/// A seat held: the answer to acquire, borrow and heartbeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatResponse {
    /// The session holding the seat; heartbeat and release name it.
    pub session_id: Uuid,
    /// The session's license.
    pub license_id: Uuid,
    /// The license's tenant.
    pub tenant_id: Uuid,
    /// Always `active`.
    pub status: String,
    /// When the seat is lost unless heartbeated (a borrow's end for a borrow).
    pub expires_at: DateTime<Utc>,
    /// Seconds from `server_time` to `expires_at`, so clients need not trust their clock.
    pub expires_in_seconds: i64,
    /// How often to heartbeat: `max(1, heartbeat_ttl_seconds / 3)`.
    pub heartbeat_interval_seconds: i64,
    /// When the license itself expires; `null` for never.
    pub license_expires_at: Option<DateTime<Utc>>,
    /// Seats of the license.
    pub seats_total: i64,
    /// Live sessions of the license, this one included.
    pub seats_used: i64,
    /// Feature names the license grants.
    pub entitlements: Vec<String>,
    /// Signed session token (JWS compact), verifiable offline with the JWKS.
    pub token: String,
    /// The server's clock.
    pub server_time: DateTime<Utc>,
    /// Extension: true for a borrowed session, which needs no heartbeat until
    /// `expires_at`. Read as false from a server that predates borrowing.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub borrowed: bool,
}

impl SeatResponse {
    /// The body for `session` of `license` at `now`, carrying its freshly signed `token`
    /// (signing is the server's business, not the domain's).
    pub fn new(
        session: &Session,
        license: &License,
        seats_used: i64,
        now: DateTime<Utc>,
        token: String,
    ) -> Self {
        Self {
            session_id: session.id,
            license_id: license.id,
            tenant_id: license.tenant_id,
            status: SessionStatus::Active.as_str().to_owned(),
            expires_at: session.expires_at,
            expires_in_seconds: (session.expires_at - now).num_seconds().max(0),
            heartbeat_interval_seconds: heartbeat_interval_seconds(license.heartbeat_ttl_seconds),
            license_expires_at: license.expires_at,
            seats_total: license.seats_total,
            seats_used,
            entitlements: license.entitlements.clone(),
            token,
            server_time: now,
            borrowed: session.borrowed,
        }
    }

    /// Whether the license grants the feature `name`.
    pub fn has_entitlement(&self, name: &str) -> bool {
        self.entitlements.iter().any(|e| e == name)
    }
}

/// The answer to a release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseResponse {
    /// The session.
    pub session_id: Uuid,
    /// True when this call freed the seat; false when the session was already over
    /// (release is idempotent).
    pub released: bool,
    /// The session's status now: `released` or `expired`.
    pub status: String,
    /// The server's clock.
    pub server_time: DateTime<Utc>,
}

/// What a validate says of a key: the contract's `code` of its answer (not an error code:
/// validate answers `200` for every well-formed request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidateCode {
    /// The license is usable.
    Valid,
    /// No license has this key (or it is another tenant's; never says which).
    NotFound,
    /// The license is suspended; wins over `EXPIRED`.
    Suspended,
    /// The license is past its `expires_at`.
    Expired,
}

impl From<LicenseState> for ValidateCode {
    fn from(s: LicenseState) -> Self {
        match s {
            LicenseState::Valid => ValidateCode::Valid,
            LicenseState::Suspended => ValidateCode::Suspended,
            LicenseState::Expired => ValidateCode::Expired,
        }
    }
}

/// The license part of a validate answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidatedLicense {
    /// The license.
    pub id: Uuid,
    /// Seats of the license.
    pub seats_total: i64,
    /// Live sessions of the license.
    pub seats_used: i64,
    /// When the license expires; `null` for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Feature names the license grants.
    pub entitlements: Vec<String>,
}

/// The answer to a validate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidateResponse {
    /// True only for `VALID`.
    pub valid: bool,
    /// `VALID`, `NOT_FOUND`, `SUSPENDED` or `EXPIRED`.
    pub code: ValidateCode,
    /// The license; absent (not `null`) for `NOT_FOUND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<ValidatedLicense>,
    /// The server's clock.
    pub server_time: DateTime<Utc>,
}

impl ValidateResponse {
    /// The answer for a key that names no license.
    pub fn not_found(now: DateTime<Utc>) -> Self {
        Self {
            valid: false,
            code: ValidateCode::NotFound,
            license: None,
            server_time: now,
        }
    }

    /// The answer for `license` at `now`, which has `seats_used` live sessions.
    pub fn found(license: License, seats_used: i64, now: DateTime<Utc>) -> Self {
        let code = ValidateCode::from(license.state(now));
        Self {
            valid: code == ValidateCode::Valid,
            code,
            license: Some(ValidatedLicense {
                id: license.id,
                seats_total: license.seats_total,
                seats_used,
                expires_at: license.expires_at,
                entitlements: license.entitlements,
            }),
            server_time: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_seat_is_written_in_the_contracts_field_order() {
        let seat = SeatResponse {
            session_id: Uuid::nil(),
            license_id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            status: "active".into(),
            expires_at: ts("2030-01-01T00:01:00Z"),
            expires_in_seconds: 60,
            heartbeat_interval_seconds: 20,
            license_expires_at: None,
            seats_total: 2,
            seats_used: 1,
            entitlements: vec!["x".into()],
            token: "t".into(),
            server_time: ts("2030-01-01T00:00:00Z"),
            borrowed: false,
        };
        // The contract's field order, with `license_expires_at` written as null.
        assert_eq!(
            serde_json::to_string(&seat).unwrap(),
            "{\"session_id\":\"00000000-0000-0000-0000-000000000000\",\
             \"license_id\":\"00000000-0000-0000-0000-000000000000\",\
             \"tenant_id\":\"00000000-0000-0000-0000-000000000000\",\
             \"status\":\"active\",\"expires_at\":\"2030-01-01T00:01:00Z\",\
             \"expires_in_seconds\":60,\"heartbeat_interval_seconds\":20,\
             \"license_expires_at\":null,\"seats_total\":2,\"seats_used\":1,\
             \"entitlements\":[\"x\"],\"token\":\"t\",\
             \"server_time\":\"2030-01-01T00:00:00Z\",\"borrowed\":false}"
        );
        // An older server without `borrowed` still parses.
        let mut v = serde_json::to_value(&seat).unwrap();
        v.as_object_mut().unwrap().remove("borrowed");
        assert_eq!(serde_json::from_value::<SeatResponse>(v).unwrap(), seat);
    }

    #[test]
    fn validate_leaves_out_the_license_when_not_found() {
        let now = ts("2030-01-01T00:00:00Z");
        assert_eq!(
            serde_json::to_value(ValidateResponse::not_found(now)).unwrap(),
            json!({"valid": false, "code": "NOT_FOUND", "server_time": "2030-01-01T00:00:00Z"})
        );
        for (state, code) in [
            (LicenseState::Valid, "VALID"),
            (LicenseState::Suspended, "SUSPENDED"),
            (LicenseState::Expired, "EXPIRED"),
        ] {
            assert_eq!(
                serde_json::to_value(ValidateCode::from(state)).unwrap(),
                code
            );
        }
    }

    #[test]
    fn a_release_is_written_as_the_contract_shows_it() {
        let r = ReleaseResponse {
            session_id: Uuid::nil(),
            released: true,
            status: "released".into(),
            server_time: ts("2030-01-01T00:00:00Z"),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "{\"session_id\":\"00000000-0000-0000-0000-000000000000\",\"released\":true,\
             \"status\":\"released\",\"server_time\":\"2030-01-01T00:00:00Z\"}"
        );
    }
}
