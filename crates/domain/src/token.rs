//! The claims of a session token, verifiable offline against the JWKS.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every license's token audience starts with.
pub const AUDIENCE_PREFIX: &str = "urn:coditect:license:";

/// The `kaud` ("key audience") of the tokens of the license with this key. A token is only
/// as good as the license it was issued for: an application checks `kaud` against its own
/// key, so a token of another license (or another tenant) on the same server, validly
/// signed by the same keys, is refused offline. It is a claim of its own rather than the
/// registered `aud`, which many JWT libraries reject unless told to expect it: adding
/// `aud` would have broken every verifier already deployed. Derived from the key (case-insensitively, as keys are
/// looked up) with a domain-separated SHA-256, so it names the license without being its
/// key or its lookup hash.
pub fn license_audience(license_key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"coditect-license-audience:")
        .chain_update(license_key.to_ascii_uppercase().as_bytes())
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{AUDIENCE_PREFIX}{hex}")
}

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
    /// The license's key audience ([`license_audience`] of its key).
    pub kaud: String,
    /// Hardware id.
    pub hwid: String,
    /// Entitlements, always an array.
    pub ent: Vec<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// The session's `expires_at` in whole seconds, rounded down.
    pub exp: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_follows_the_key_not_its_case() {
        let a = license_audience("abcd-1234");
        assert_eq!(a, license_audience("ABCD-1234"));
        assert_ne!(a, license_audience("abcd-1235"));
        assert!(a.starts_with(AUDIENCE_PREFIX));
        assert_eq!(a.len(), AUDIENCE_PREFIX.len() + 32);
        // Known answer: clients in other languages compute the same value.
        assert_eq!(
            license_audience("demo-key"),
            "urn:coditect:license:5958e38f70a6708e52203ca1564f834c"
        );
    }
}
