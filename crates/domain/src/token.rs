//! The claims of a session token, verifiable offline against the JWKS.

use serde::{Deserialize, Serialize};

/// Session token claims, as the contract names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer (`CODITECT_ISSUER`).
    pub iss: String,
    /// Session id.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    /// License id.
    pub lid: String,
    /// Hardware id.
    pub hwid: String,
    /// Entitlements, always an array.
    pub ent: Vec<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// The session's `expires_at` in whole seconds, rounded down.
    pub exp: i64,
}
