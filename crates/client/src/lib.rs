//! Client SDK of the CODITECT License Server.
//!
//! ```no_run
//! # async fn demo() -> coditect_license_client::Result<()> {
//! use coditect_license_client::{ClientConfig, LicenseClient};
//! let client = LicenseClient::new(ClientConfig::new("https://license.example.com", "KEY", "acme-cad"))?;
//! let lease = client.acquire().await?;          // heartbeats, reconnects, re-acquires by itself
//! if lease.has_entitlement("export") { /* ... */ }
//! let offline = client.verify_offline(&lease.token())?; // works with the server down
//! lease.release().await?;                        // or just drop it
//! # Ok(()) }
//! ```
//!
//! [`blocking`] offers the same for code without an async runtime; the C ABI
//! (`coditect-license-ffi`) is built on it.

mod api;
pub mod blocking;
mod config;
mod error;
pub mod hardware;
mod lease;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

/// The answer to a release, the very type the server writes.
pub use coditect_domain::wire::ReleaseResponse as Released;
/// A seat as the server grants it: the body of acquire, borrow and heartbeat, the very
/// type the server writes.
pub use coditect_domain::wire::SeatResponse as Seat;
/// The contract's error codes, to branch on ([`Error::error_code`]).
pub use coditect_domain::ErrorCode;
pub use config::ClientConfig;
pub use error::{ApiCode, Error, Result};
pub use hardware::default_hardware_id;
pub use lease::{Lease, LeaseState, LostReason};
pub use verify::{default_jwks_cache, TokenClaims, VerifiedToken, Verifier, JWKS_CACHE_ENV};

/// SHA-256 of `data`, lowercase hex.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

struct Inner {
    api: api::Api,
    cfg: ClientConfig,
    hardware_id: String,
    jwks_cache: Option<PathBuf>,
}

/// A client for one license on one server. Cheap to clone; needs a tokio runtime for
/// its async calls (see [`blocking::LicenseClient`] otherwise).
#[derive(Clone)]
pub struct LicenseClient {
    inner: Arc<Inner>,
}

impl LicenseClient {
    /// A client for `cfg`. Fails on an unusable URL or key, or when no hardware id can be
    /// found (set one in the config or in `CODITECT_HARDWARE_ID`).
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        let api = api::Api::new(&cfg)?;
        let hardware_id = match cfg.hardware_id.clone().filter(|h| !h.is_empty()) {
            Some(h) => h,
            None => default_hardware_id(&cfg.product)?,
        };
        let jwks_cache = cfg
            .jwks_cache
            .clone()
            .or_else(|| default_jwks_cache(&cfg.server_url));
        Ok(Self {
            inner: Arc::new(Inner {
                api,
                cfg,
                hardware_id,
                jwks_cache,
            }),
        })
    }

    /// The hardware id this client acquires with.
    pub fn hardware_id(&self) -> &str {
        &self.inner.hardware_id
    }

    /// Where the JWKS is cached for offline verification.
    pub fn jwks_cache_path(&self) -> Option<&std::path::Path> {
        self.inner.jwks_cache.as_deref()
    }

    /// Takes a seat and keeps it: the returned lease heartbeats in the background.
    pub async fn acquire(&self) -> Result<Lease> {
        self.acquire_waiting(Duration::ZERO).await
    }

    /// Like [`LicenseClient::acquire`], but when the license is full waits up to `wait`
    /// (at most 300 s) for a seat, first come first served.
    pub async fn acquire_waiting(&self, wait: Duration) -> Result<Lease> {
        let seat = self.acquire_seat(wait).await?;
        Ok(Lease::start(self.clone(), seat))
    }

    /// One acquire call without a lease (no background heartbeat).
    pub async fn acquire_seat(&self, wait: Duration) -> Result<Seat> {
        let i = &self.inner;
        let seat = i
            .api
            .acquire(
                &i.hardware_id,
                i.cfg.user_email.as_deref(),
                &i.cfg.client_info,
                wait,
            )
            .await?;
        self.remember_keys(&seat.token).await;
        Ok(seat)
    }

    /// Borrows a seat for offline use for `hours` (up to the license's
    /// `max_borrow_hours`): it needs no heartbeat until `expires_at`, and the token
    /// (verifiable offline) lasts as long. Return it early with [`LicenseClient::release`].
    pub async fn borrow(&self, hours: u32) -> Result<Seat> {
        let i = &self.inner;
        let seat = i
            .api
            .borrow(
                &i.hardware_id,
                i.cfg.user_email.as_deref(),
                &i.cfg.client_info,
                hours,
            )
            .await?;
        self.remember_keys(&seat.token).await;
        Ok(seat)
    }

    /// One heartbeat for a session.
    pub async fn heartbeat(&self, session_id: Uuid) -> Result<Seat> {
        let seat = self.inner.api.heartbeat(session_id).await?;
        // After a key rotation the fresh token is signed by a key the cache may lack.
        self.remember_keys(&seat.token).await;
        Ok(seat)
    }

    /// Releases a session (idempotent).
    pub async fn release(&self, session_id: Uuid) -> Result<Released> {
        self.inner.api.release(session_id).await
    }

    /// Fetches the server's JWKS, stores it in the cache, and returns a verifier for it.
    pub async fn refresh_jwks(&self) -> Result<Verifier> {
        let json = self.inner.api.jwks().await?;
        if let Some(path) = &self.inner.jwks_cache {
            verify::write_cache(path, &json)?;
        }
        Ok(self.configure(Verifier::from_jwks_json(&json)?))
    }

    /// A verifier over the cached JWKS (no network).
    pub fn offline_verifier(&self) -> Result<Verifier> {
        let path = self.inner.jwks_cache.as_deref().ok_or_else(|| {
            Error::NoJwks(format!(
                "no cache location; set {JWKS_CACHE_ENV} or ClientConfig::jwks_cache"
            ))
        })?;
        Ok(self.configure(Verifier::from_file(path)?))
    }

    /// Verifies a token with the cached JWKS, with no network: signature, that it was
    /// issued for this client's license and to this installation, issuer (when
    /// configured) and expiry.
    pub fn verify_offline(&self, token: &str) -> Result<VerifiedToken> {
        let v = self.offline_verifier()?.verify(token)?;
        if v.claims.hwid != self.inner.hardware_id {
            return Err(Error::InvalidToken(
                "the token was issued to another installation".into(),
            ));
        }
        Ok(v)
    }

    fn configure(&self, v: Verifier) -> Verifier {
        let v = v.for_license_key(&self.inner.cfg.license_key);
        match &self.inner.cfg.issuer {
            Some(iss) => v.with_issuer(iss.clone()),
            None => v,
        }
    }

    /// Makes sure the cache holds the key that signed `token`, so offline verification
    /// works later. Best effort: a failure here never fails the acquire; it shows up as
    /// `no_jwks` when verifying offline.
    async fn remember_keys(&self, token: &str) {
        let Some(path) = &self.inner.jwks_cache else {
            return;
        };
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
        let known = Verifier::from_file(path)
            .ok()
            .zip(kid)
            .is_some_and(|(v, kid)| v.knows_kid(&kid));
        if !known {
            let _ = self.refresh_jwks().await;
        }
    }
}
