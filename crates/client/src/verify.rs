//! Offline verification of session tokens against a JWKS kept on disk, so an application
//! can check its seat (and its entitlements) with the server unreachable.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::error::{Error, Result};

/// Environment variable naming the JWKS cache file (overrides the default location).
pub const JWKS_CACHE_ENV: &str = "CODITECT_JWKS_CACHE";

/// The claims of a session token, as the contract names them (declared once, in the
/// domain crate, for the server that signs them and the clients that verify them).
pub use coditect_domain::Claims as TokenClaims;

/// A token whose signature, license (audience), issuer and expiry were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Its claims.
    pub claims: TokenClaims,
}

impl VerifiedToken {
    /// Whether the license grants the feature `name`.
    pub fn has_entitlement(&self, name: &str) -> bool {
        self.claims.ent.iter().any(|e| e == name)
    }
    /// The session id (`sub`).
    pub fn session_id(&self) -> &str {
        &self.claims.sub
    }
    /// The installation the seat belongs to (`hwid`).
    pub fn hardware_id(&self) -> &str {
        &self.claims.hwid
    }
    /// When the token stops being valid (seconds since the epoch).
    pub fn expires_at(&self) -> i64 {
        self.claims.exp
    }
}

/// Verifies tokens against a fixed set of public keys (a JWKS).
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: JwkSet,
    audience: Option<String>,
    issuer: Option<String>,
    leeway_seconds: u64,
}

impl Verifier {
    /// A verifier for the keys of a JWKS document (the body of `/.well-known/jwks.json`).
    pub fn from_jwks_json(json: &str) -> Result<Self> {
        let keys: JwkSet =
            serde_json::from_str(json).map_err(|e| Error::NoJwks(format!("not a JWKS: {e}")))?;
        Ok(Self {
            keys,
            audience: None,
            issuer: None,
            leeway_seconds: 0,
        })
    }

    /// A verifier for the JWKS cached in `path`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let json = std::fs::read_to_string(path).map_err(|e| {
            Error::NoJwks(format!(
                "no JWKS cached at {} ({e}); fetch it once while online",
                path.display()
            ))
        })?;
        Self::from_jwks_json(&json)
    }

    /// Accepts only tokens of the license with this key (their `kaud`). Every token the
    /// server signs, for any tenant's license, verifies with the same keys: without this
    /// a token of someone else's license would pass, so [`Verifier::verify`] refuses to
    /// check a token before a license is set.
    pub fn for_license_key(mut self, license_key: &str) -> Self {
        self.audience = Some(coditect_domain::license_audience(license_key));
        self
    }

    /// Requires tokens to carry this `iss`.
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Accepts tokens up to this many seconds past `exp` (clock skew); default 0.
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway_seconds = seconds;
        self
    }

    /// Whether the set holds the key `kid`.
    pub fn knows_kid(&self, kid: &str) -> bool {
        self.keys.find(kid).is_some()
    }

    /// Checks the token's signature with the key its `kid` names, using that key's own
    /// algorithm (never one the token proposes), then that it was issued for this
    /// verifier's license, then its issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken> {
        let audience = self.audience.as_deref().ok_or_else(|| {
            Error::InvalidToken(
                "no license to check the token against (Verifier::for_license_key)".into(),
            )
        })?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Error::InvalidToken(format!("unreadable token: {e}")))?;
        let kid = header
            .kid
            .ok_or_else(|| Error::InvalidToken("the token has no kid".into()))?;
        let jwk = self.keys.find(&kid).ok_or_else(|| {
            Error::NoJwks(format!(
                "key {kid} is not in the JWKS; refresh it while online"
            ))
        })?;
        let alg = key_algorithm(jwk)?;
        if header.alg != alg {
            return Err(Error::InvalidToken(format!(
                "token algorithm {:?} does not match its key's {alg:?}",
                header.alg
            )));
        }
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| Error::InvalidToken(format!("unusable key {kid}: {e}")))?;
        let mut v = Validation::new(alg);
        v.leeway = self.leeway_seconds;
        v.validate_exp = true;
        v.required_spec_claims = HashSet::from(["exp".to_owned(), "sub".to_owned()]);
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
        }
        let data =
            jsonwebtoken::decode::<TokenClaims>(token, &key, &v).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Error::TokenExpired,
                _ => Error::InvalidToken(e.to_string()),
            })?;
        if data.claims.kaud != audience {
            return Err(Error::InvalidToken(
                "the token was issued for another license".into(),
            ));
        }
        Ok(VerifiedToken {
            claims: data.claims,
        })
    }
}

/// The algorithm a published key is for; only the asymmetric ones the server signs with.
fn key_algorithm(jwk: &Jwk) -> Result<Algorithm> {
    match jwk.common.key_algorithm {
        Some(KeyAlgorithm::ES256) => Ok(Algorithm::ES256),
        Some(KeyAlgorithm::EdDSA) => Ok(Algorithm::EdDSA),
        Some(KeyAlgorithm::RS256) => Ok(Algorithm::RS256),
        other => Err(Error::InvalidToken(format!(
            "key algorithm {other:?} is not accepted (ES256, EdDSA, RS256)"
        ))),
    }
}

/// Where the JWKS of `server_url` is cached by default: `CODITECT_JWKS_CACHE`, else a file
/// named after the server in the user's cache directory.
pub fn default_jwks_cache(server_url: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(JWKS_CACHE_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let dir = user_cache_dir()?;
    let name = format!(
        "jwks-{}.json",
        &crate::sha256_hex(server_url.trim_end_matches('/').as_bytes())[..16]
    );
    Some(dir.join("coditect-license").join(name))
}

fn user_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library").join("Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    }
}

/// Writes the JWKS cache atomically (a temporary file renamed over the old one), so a
/// reader never sees half a file.
pub(crate) fn write_cache(path: &Path, json: &str) -> Result<()> {
    Verifier::from_jwks_json(json)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, json).map_err(|e| Error::Io(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}
